import ArgumentParser
import FlotillaAPI
import FlotillaInterpreter
import Foundation

/// `karmadactl interpret`, offline: runs one operation of a ResourceInterpreterCustomization (or the built-in
/// interpreter, for an operation no script in the file covers) against objects in files.
struct InterpretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpret",
        abstract: "Run a ResourceInterpreterCustomization's Lua script (or the built-in interpreter) on objects in files.",
        discussion: """
        Operations (case-insensitive): \(InterpreterOperation.allCases.map(\.rawValue).joined(separator: ", ")).
        Prints one object with the operation's results: replica and requires, components, revised, retained,
        aggregatedStatus, status, healthy or dependencies. Exit status 1 with the message on a script error.
        """
    )

    @Option(name: .shortAndLong, help: "A file (or - for standard input) with one or more ResourceInterpreterCustomizations.")
    var filename: String

    @Option(help: "The operation to run.")
    var operation: String

    @Option(name: .customLong("desired-file"), help: "The desired object (the template).")
    var desiredFile: String?

    @Option(name: .customLong("observed-file"), help: "The observed object (as a member holds it).")
    var observedFile: String?

    @Option(name: .customLong("status-file"), help: "A list of AggregatedStatusItem (clusterName, status, applied, health).")
    var statusFile: String?

    @Option(name: .customLong("desired-replica"), help: "The replicas ReviseReplica sets.")
    var desiredReplica: Int64?

    @Option(name: .shortAndLong, help: "yaml (default) or json.")
    var output: OutputFormat = .yaml

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case yaml
        case json
    }

    func run() throws {
        guard let operation = InterpreterOperation(named: operation) else {
            throw ValidationError("unknown operation \"\(operation)\": use one of \(InterpreterOperation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let customizations = try loadCustomizations()
        var interpretation = Interpretation(operation: operation, desiredReplica: desiredReplica)
        interpretation.desired = try desiredFile.map(Self.object)
        interpretation.observed = try observedFile.map(Self.object)
        if let statusFile {
            let items = try Self.read(statusFile)
            let list = items.arrayValue ?? items["items"]?.arrayValue ?? []
            interpretation.statusItems = try list.enumerated().map { offset, item in
                do { return try ObjectDecoder().decode(AggregatedStatusItem.self, from: item) } catch {
                    throw ValidationError("\(statusFile): item \(offset + 1) is not an AggregatedStatusItem: \(error)")
                }
            }
        }
        let interpreter = ResourceInterpreter(customizations: customizations)
        if let subject = interpretation.subject, !interpreter.isCustomized(operation, for: subject) {
            FileHandle.standardError.write(Data("no \(operation.rule.name) script in \(filename) targets \(subject.apiVersion ?? "")/\(subject.kind ?? ""): the built-in interpreter answers\n".utf8))
        }
        do {
            let result = try interpretation.run(with: interpreter)
            switch output {
            case .json: print(result.serializedString())
            case .yaml: print(YAMLCodec.encode(result), terminator: "")
            }
        } catch {
            throw Self.fail(error.message)
        }
    }

    /// Prints the message and gives the exit status 1.
    private static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(1)
    }

    private func loadCustomizations() throws -> [ResourceInterpreterCustomization] {
        let documents: [ManifestLoader.Document]
        do { documents = try ManifestLoader.load([filename]) } catch { throw ValidationError(String(describing: error)) }
        var customizations: [ResourceInterpreterCustomization] = []
        for document in documents where document.value.kind == ResourceInterpreterCustomization.descriptor.kind {
            switch ResourceInterpreterCustomization.admit(document.value) {
            case .success(let admitted): customizations.append(try ResourceInterpreterCustomization(json: admitted))
            // A script that does not compile is a script error: exit 1, as a failing script does.
            case .failure(.malformed(let error)): throw Self.fail("\(document.source): malformed: \(error)")
            case .failure(.invalid(let errors)):
                throw Self.fail("\(document.source): invalid:\n" + errors.map { "  - \($0)" }.joined(separator: "\n"))
            }
        }
        guard !customizations.isEmpty else { throw ValidationError("\(filename) holds no ResourceInterpreterCustomization") }
        return customizations
    }

    private static func read(_ path: String) throws -> JSONValue {
        let text: String
        if path == "-" { text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) } else {
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw ValidationError("cannot read \(path): \(error.localizedDescription)") }
        }
        do { return try YAMLCodec.decode(text) } catch { throw ValidationError("\(path): \(error)") }
    }

    private static func object(_ path: String) throws -> JSONValue {
        let value = try read(path)
        guard value.objectValue != nil, value.kind != nil else { throw ValidationError("\(path) must hold one object with apiVersion and kind") }
        return value
    }
}
