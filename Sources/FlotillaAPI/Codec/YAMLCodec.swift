import Foundation
import Yams

/// Where and why a YAML stream failed to parse.
public struct YAMLParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int?
    public var column: Int?
    public var message: String
    public var description: String {
        if let line, let column { return "invalid YAML at line \(line), column \(column): \(message)" }
        return "invalid YAML: \(message)"
    }
}

/// YAML ⇄ `JSONValue`, following the Kubernetes convention that YAML is JSON written another way.
public enum YAMLCodec {
    /// Parses a stream of `---`-separated documents; empty documents are skipped, as kubectl does.
    public static func decodeDocuments(_ text: String) throws(YAMLParseError) -> [JSONValue] {
        try translatingErrors {
            var documents: [JSONValue] = []
            let stream = try Yams.compose_all(yaml: text)
            var iterator = stream.makeIterator()
            while let node = iterator.next() {
                let value = try jsonValue(from: node)
                if value != .null { documents.append(value) }
            }
            // The stream ends early, without throwing, at a syntax error; it keeps the error.
            if let error = iterator.error { throw error }
            return documents
        }
    }

    /// Runs a Yams parse, turning whatever it throws into a `YAMLParseError` with the position when Yams has one.
    static func translatingErrors<T>(_ body: () throws -> T) throws(YAMLParseError) -> T {
        do {
            return try body()
        } catch let error as YAMLParseError {
            throw error
        } catch let error as YamlError {
            throw parseError(error)
        } catch {
            throw YAMLParseError(line: nil, column: nil, message: String(describing: error))
        }
    }

    /// Parses exactly one document.
    public static func decode(_ text: String) throws(YAMLParseError) -> JSONValue {
        let documents = try decodeDocuments(text)
        guard documents.count <= 1 else {
            throw YAMLParseError(line: nil, column: nil, message: "expected one document, found \(documents.count)")
        }
        return documents.first ?? .null
    }

    /// Emits one document, keys sorted, two-space indent (what `kubectl get -o yaml` prints).
    public static func encode(_ value: JSONValue) -> String {
        (try? Yams.serialize(node: node(from: value), indent: 2, width: -1, allowUnicode: true, sortKeys: true)) ?? ""
    }

    /// Emits several documents separated by `---`.
    public static func encodeDocuments(_ values: [JSONValue]) -> String {
        values.map(encode).joined(separator: "---\n")
    }

    static func parseError(_ error: YamlError) -> YAMLParseError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return YAMLParseError(line: mark.line, column: mark.column, message: problem)
        case .composer(_, let problem, let mark, _):
            return YAMLParseError(line: mark.line, column: mark.column, message: problem)
        default:
            return YAMLParseError(line: nil, column: nil, message: error.description)
        }
    }

    static func jsonValue(from node: Yams.Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            return try scalarValue(scalar, node: node)
        case .sequence(let sequence):
            return .array(try sequence.map(jsonValue(from:)))
        case .mapping(let mapping):
            var object: JSONObject = [:]
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw YAMLParseError(line: key.mark?.line, column: key.mark?.column, message: "mapping keys must be scalars")
                }
                if keyScalar.string == "<<", keyScalar.style == .plain || keyScalar.style == .any {
                    // YAML merge key: the referenced mapping's members fill in what this mapping does not set.
                    let merged = try jsonValue(from: value)
                    let sources = merged.arrayValue ?? [merged]
                    for source in sources {
                        for (k, v) in source.objectValue ?? [:] where object[k] == nil { object[k] = v }
                    }
                    continue
                }
                object[keyScalar.string] = try jsonValue(from: value)
            }
            return .object(object)
        case .alias:
            throw YAMLParseError(line: node.mark?.line, column: node.mark?.column, message: "unresolved alias")
        }
    }

    static func scalarValue(_ scalar: Yams.Node.Scalar, node: Yams.Node) throws -> JSONValue {
        switch Resolver.default.resolveTag(of: node) {
        case .null:
            return .null
        case .bool:
            return .bool(node.bool ?? false)
        case .int:
            if let int = node.int { return .integer(Int64(int)) }
            // Out of Int range: keep as a double like encoding/json would.
            if let double = Double(scalar.string.replacingOccurrences(of: "_", with: "")) { return .double(double) }
            return .string(scalar.string)
        case .float:
            guard let double = node.float, double.isFinite else {
                throw YAMLParseError(line: scalar.mark?.line, column: scalar.mark?.column,
                    message: "\(scalar.string) is not representable in JSON")
            }
            return .double(double)
        default:
            // str, timestamp and any explicit tag: the text itself.
            return .string(scalar.string)
        }
    }

    static func node(from value: JSONValue) -> Yams.Node {
        switch value {
        case .null: return Yams.Node("null", Tag(.null))
        case .bool(let b): return Yams.Node(b ? "true" : "false", Tag(.bool))
        case .integer(let i): return Yams.Node(String(i), Tag(.int))
        case .double(let d):
            return Yams.Node(String(JSONValue.double(d).serializedString()), Tag(.float))
        case .string(let s):
            return .scalar(Yams.Node.Scalar(s, Tag(.str), stringStyle(s)))
        case .array(let items):
            return .sequence(Yams.Node.Sequence(items.map(node(from:)), Tag(.seq), .block))
        case .object(let members):
            let pairs = members.keys.sorted().map { key in
                (Yams.Node.scalar(Yams.Node.Scalar(key, Tag(.str), stringStyle(key))), node(from: members[key]!))
            }
            return .mapping(Yams.Node.Mapping(pairs, Tag(.map), .block))
        }
    }

    /// Strings that would read back as another type ("true", "1.5", "null", "") must be quoted.
    static func stringStyle(_ s: String) -> Yams.Node.Scalar.Style {
        if s.contains("\n") { return .literal }
        let resolved = Resolver.default.resolveTag(of: Yams.Node(s))
        return resolved == .str ? .any : .singleQuoted
    }
}
