import ArgumentParser
import FlotillaAPI
import FlotillaScheduler
import Foundation

/// `flotilla schedule --dry-run -f FILE`: what the scheduler would decide, with no server.
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Show where the scheduler would place workloads (what-if; requires --dry-run).",
        discussion: """
            FILE holds Cluster objects (with status.resourceSummary for capacity), workloads (e.g. Deployments), \
            (Cluster)PropagationPolicies and optionally a ResourceBinding per workload (its uid, spec.clusters and \
            rescheduleTriggeredAt / status.lastScheduledTime are the previous result). Prints the ResourceBindings; \
            exits 1 when a workload cannot be scheduled, with the reason.
            """
    )

    @Flag(help: "Compute the placement without a server (the only mode of this command).")
    var dryRun = false

    @Option(name: .shortAndLong, help: "A file, a directory, or - for standard input. Repeatable.")
    var filename: [String]

    @Option(name: .shortAndLong, help: "Output format: yaml or json.")
    var output: ValidateCommand.OutputFormat = .yaml

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard dryRun else { throw ValidationError("schedule needs --dry-run: it computes placements offline; the control plane's scheduler places real bindings") }
    }

    func run() throws {
        _ = global.logger("flotilla.schedule")
        let documents: [JSONValue]
        do {
            documents = try ManifestLoader.load(filename).map(\.value)
        } catch {
            throw ValidationError(String(describing: error))
        }
        let result: WhatIf.Result
        do {
            result = try WhatIf.run(documents: documents)
        } catch {
            throw ValidationError(String(describing: error))
        }
        switch output {
        case .yaml: print(YAMLCodec.encodeDocuments(result.bindings), terminator: "")
        case .json: print(JSONValue.object(["apiVersion": "v1", "kind": "List", "items": .array(result.bindings)]).serializedString())
        }
        for failure in result.failures {
            FileHandle.standardError.write(Data("\(failure.workload): unschedulable: \(failure.reason)\n".utf8))
        }
        if !result.failures.isEmpty { throw ExitCode(1) }
    }
}
