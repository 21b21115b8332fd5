import ArgumentParser
import FlotillaAPI
import FlotillaControllers
import Foundation
import KubeClient

/// `flotilla taint NAME key[=value]:Effect[-] …`, like `karmadactl taint`.
struct TaintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taint", abstract: "Add or remove taints on a member cluster.",
        discussion: """
            key[=value]:Effect adds a taint (NoSchedule, PreferNoSchedule or NoExecute); key[:Effect]- removes it. \
            A NoExecute taint evicts workloads whose policies do not tolerate it (docs/failover.md).
              flotilla taint edge-3 maintenance=power:NoExecute
              flotilla taint edge-3 maintenance-
            """)

    @Argument(help: "Name of the cluster.")
    var name: String

    @Argument(help: "Taints: key[=value]:Effect to add, key[:Effect]- to remove.")
    var taints: [String]

    @Flag(help: "Replace the value of a taint that already has this key and effect.")
    var overwrite = false

    @OptionGroup var controlPlane: ControlPlaneOptions

    func run() async throws {
        let edit: ClusterTaintEdit
        do {
            edit = try ClusterTaintEdit(parsing: taints, overwrite: overwrite)
        } catch {
            throw ValidationError(error.description)
        }
        try await ClusterEditRunner.run(edit, cluster: name, controlPlane: controlPlane, done: "tainted", unchanged: "already tainted so")
    }
}

/// `flotilla cordon NAME`: no new workloads on the cluster; running ones stay.
struct CordonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cordon",
        abstract: "Mark a member cluster unschedulable (taint cluster.karmada.io/unschedulable:NoSchedule).")

    @Argument(help: "Name of the cluster.")
    var name: String

    @OptionGroup var controlPlane: ControlPlaneOptions

    func run() async throws {
        try await ClusterEditRunner.run(.cordon, cluster: name, controlPlane: controlPlane, done: "cordoned", unchanged: "already cordoned")
    }
}

/// `flotilla uncordon NAME`: the cluster takes new workloads again.
struct UncordonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uncordon", abstract: "Mark a member cluster schedulable again.")

    @Argument(help: "Name of the cluster.")
    var name: String

    @OptionGroup var controlPlane: ControlPlaneOptions

    func run() async throws {
        try await ClusterEditRunner.run(.uncordon, cluster: name, controlPlane: controlPlane, done: "uncordoned", unchanged: "already uncordoned")
    }
}

enum ClusterEditRunner {
    static func run(_ edit: ClusterTaintEdit, cluster name: String, controlPlane: ControlPlaneOptions, done: String, unchanged: String) async throws {
        let client = try controlPlane.client()
        let outcome: Result<Bool, any Error>
        do {
            outcome = .success(try await edit.apply(toCluster: name, client: client, now: Timestamp(Date())))
        } catch {
            outcome = .failure(error)
        }
        await client.shutdown()
        switch outcome {
        case .success(let changed): print("cluster/\(name) \(changed ? done : unchanged)")
        case .failure(let error):
            let message = (error as? APIError)?.message ?? (error as? ClusterTaintEdit.Invalid)?.description ?? "\(error)"
            FileHandle.standardError.write(Data("error: \(name): \(message)\n".utf8))
            throw ExitCode.failure
        }
    }
}
