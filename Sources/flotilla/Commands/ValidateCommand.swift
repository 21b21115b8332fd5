import ArgumentParser
import FlotillaAPI
import Foundation

/// Offline admission: decode, default and validate manifests exactly as the API server will.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests (Karmada policies, clusters, Deployments, ...) without a server.",
        discussion: "Exit status 0 when every document is valid, 1 otherwise. With -o, prints the admitted objects (defaults applied)."
    )

    @Option(name: .shortAndLong, help: "A file, a directory, or - for standard input. Repeatable.")
    var filename: [String]

    @Option(name: .shortAndLong, help: "Print the admitted objects: yaml or json.")
    var output: OutputFormat?

    @OptionGroup var global: GlobalOptions

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case yaml
        case json
    }

    func run() throws {
        let logger = global.logger("flotilla.validate")
        let documents: [ManifestLoader.Document]
        do {
            documents = try ManifestLoader.load(filename)
        } catch {
            throw ValidationError(String(describing: error))
        }
        var admitted: [JSONValue] = []
        var failures = 0
        for document in documents {
            let label = "\(document.value.kind ?? "?")/\(document.value.name ?? document.value["metadata"]?["generateName"]?.stringValue ?? "?")"
            switch ResourceRegistry.controlPlane.admit(document.value) {
            case .success(let value):
                admitted.append(value)
                if output == nil { print("\(label) (\(document.source)): valid") }
            case .failure(.malformed(let error)):
                failures += 1
                print("\(label) (\(document.source)): malformed: \(error)")
            case .failure(.invalid(let errors)):
                failures += 1
                print("\(label) (\(document.source)): invalid:")
                for error in errors { print("  - \(error)") }
            }
        }
        logger.debug("validated", metadata: ["documents": "\(documents.count)", "failures": "\(failures)"])
        switch output {
        case .yaml: print(YAMLCodec.encodeDocuments(admitted), terminator: "")
        case .json:
            let list: JSONValue = ["apiVersion": "v1", "kind": "List", "items": .array(admitted)]
            print(list.serializedString())
        case nil: break
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
