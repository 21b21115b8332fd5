import FlotillaAPI
import Foundation

/// Everything wrong with a scenario file, each problem with the field and the line it is on.
public struct ScenarioError: Error, Sendable, CustomStringConvertible {
    public struct Problem: Sendable, CustomStringConvertible {
        public var path: String
        public var position: SourcePosition?
        public var message: String
        public var description: String {
            let place = position.map { "\($0): " } ?? ""
            return path.isEmpty ? "\(place)\(message)" : "\(place)\(path): \(message)"
        }
    }

    public var file: String
    public var problems: [Problem]

    public var description: String {
        problems.map { "\(file):\($0)" }.joined(separator: "\n")
    }
}

extension Scenario {
    /// Reads, decodes (unknown fields are errors), expands `generate` and validates a scenario file.
    public static func load(path: String) throws(ScenarioError) -> Scenario {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ScenarioError(file: path, problems: [.init(path: "", position: nil, message: "cannot read the file")])
        }
        return try parse(yaml: text, file: path)
    }

    public static func parse(yaml: String, file: String = "scenario") throws(ScenarioError) -> Scenario {
        let document: LocatedDocument
        do {
            document = try YAMLCodec.decodeLocated(yaml)
        } catch {
            let position = error.line.map { SourcePosition(line: $0, column: error.column ?? 1) }
            throw ScenarioError(file: file, problems: [.init(path: "", position: position, message: "invalid YAML: \(error.message)")])
        }
        func problem(_ path: String, _ message: String) -> ScenarioError.Problem {
            .init(path: path, position: document.position(of: path), message: message)
        }
        guard document.value.objectValue != nil else {
            throw ScenarioError(file: file, problems: [problem("", "a scenario is a YAML mapping (version, name, area, …)")])
        }
        var scenario: Scenario
        do {
            let (decoded, dropped) = try ObjectDecoder().decodeReportingDroppedFields(Scenario.self, from: document.value)
            if !dropped.isEmpty {
                throw ScenarioError(file: file, problems: dropped.map { problem($0, "unknown field") })
            }
            scenario = decoded
        } catch let error as ScenarioError {
            throw error
        } catch let error as DecodeError {
            throw ScenarioError(file: file, problems: [problem(error.path, error.message)])
        } catch {
            throw ScenarioError(file: file, problems: [problem("", "\(error)")])
        }
        let problems = ScenarioValidation.problems(in: scenario)
        if !problems.isEmpty {
            throw ScenarioError(file: file, problems: problems.map { problem($0.field.description, $0.detail) })
        }
        if let parameters = scenario.generate {
            scenario = ScenarioGenerator(parameters: parameters, seed: scenario.seed ?? 1).expand(scenario)
            let generated = ScenarioValidation.problems(in: scenario)
            if !generated.isEmpty {
                throw ScenarioError(file: file, problems: generated.map { problem("generate", "generated \($0.field): \($0.detail)") })
            }
        }
        return scenario
    }
}
