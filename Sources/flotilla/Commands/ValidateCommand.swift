import ArgumentParser
import FlotillaAPI
import Foundation

/// Offline admission: decode, default and validate manifests exactly as the API server will.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests (Karmada policies, clusters, Deployments, ...) without a server.",
        discussion: "Exit status 0 when every document is valid, 1 otherwise. With -o, prints the admitted objects (defaults applied). CustomResourceDefinitions among the files define the kinds the other documents may use."
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
        // CRDs among the documents define kinds the others may use, as they would once applied.
        var registry = ResourceRegistry.controlPlane
        for document in documents where document.value.kind == CustomResourceDefinition.descriptor.kind {
            guard case .success(let value) = CustomResourceDefinition.admit(document.value),
                  let definition = try? CustomResourceDefinition(json: value) else { continue }
            for descriptor in definition.servedDescriptors() { registry.register(descriptor) }
        }
        var admitted: [JSONValue] = []
        var failures = 0
        for document in documents {
            let label = "\(document.value.kind ?? "?")/\(document.value.name ?? document.value["metadata"]?["generateName"]?.stringValue ?? "?")"
            switch registry.admit(document.value) {
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
