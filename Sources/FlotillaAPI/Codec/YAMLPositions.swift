import Yams

/// A line and column in a source file, both counted from 1.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// One YAML document with the position of every value in it, so validators can point at the line a user must fix.
public struct LocatedDocument: Sendable {
    public var value: JSONValue
    /// Keyed by the `FieldPath` description of each value (`cells[3].rat`); the root is "".
    public var positions: [String: SourcePosition]

    /// The position of `path`, or of its nearest ancestor that has one (a missing field points at its parent).
    public func position(of path: FieldPath) -> SourcePosition? { position(of: path.description) }

    /// The same, for a path already printed (`cells[3].rat`, as `DecodeError.path` has it).
    public func position(of path: String) -> SourcePosition? {
        var path = Substring(path)
        while true {
            if let found = positions[String(path)] { return found }
            if path.isEmpty { return nil }
            // Drop the last `.key` or `[index]`.
            if let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) { path = path[..<cut] } else { path = "" }
        }
    }
}

extension YAMLCodec {
    /// Parses exactly one document and records where each value starts.
    public static func decodeLocated(_ text: String) throws(YAMLParseError) -> LocatedDocument {
        try translatingErrors {
            guard let node = try Yams.compose(yaml: text) else { return LocatedDocument(value: .null, positions: [:]) }
            var positions: [String: SourcePosition] = [:]
            record(node, at: FieldPath(), into: &positions)
            return LocatedDocument(value: try jsonValue(from: node), positions: positions)
        }
    }

    private static func record(_ node: Yams.Node, at path: FieldPath, into positions: inout [String: SourcePosition]) {
        if let mark = node.mark { positions[path.description] = SourcePosition(line: mark.line, column: mark.column) }
        switch node {
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() { record(item, at: path.index(index), into: &positions) }
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key else { continue }
                let child = path.child(scalar.string)
                // A key's own position is more useful than its value's when the value is a nested block.
                if let mark = key.mark { positions[child.description] = SourcePosition(line: mark.line, column: mark.column) }
                if case .scalar = value { continue }
                var nested: [String: SourcePosition] = [:]
                record(value, at: child, into: &nested)
                nested[child.description] = nil
                positions.merge(nested) { old, _ in old }
            }
        default:
            break
        }
    }
}
