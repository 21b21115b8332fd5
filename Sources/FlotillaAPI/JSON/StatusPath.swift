/// The JSONPath subset Karmada's state-preservation rules use: `{.field.sub[2].name}` (braces and the leading dot
/// optional, whitespace ignored). Values read as label values: strings as they are, numbers and booleans as JSON
/// text; objects, arrays and absent paths read as nothing.
public struct StatusPath: Sendable, Hashable {
    enum Step: Hashable { case key(String), index(Int) }
    let steps: [Step]

    public init?(_ text: String) {
        var body = text.filter { !$0.isWhitespace }[...]
        if body.hasPrefix("{") {
            guard body.hasSuffix("}") else { return nil }
            body = body.dropFirst().dropLast()
        }
        if body.hasPrefix("$") { body = body.dropFirst() }
        guard body.hasPrefix(".") else { return nil }
        var steps: [Step] = []
        for segment in body.dropFirst().split(separator: ".", omittingEmptySubsequences: false) {
            guard let name = segment.split(separator: "[", maxSplits: 1).first.map(String.init), !name.isEmpty else { return nil }
            steps.append(.key(name))
            var rest = segment.dropFirst(name.count)
            while !rest.isEmpty {
                guard rest.hasPrefix("["), let close = rest.firstIndex(of: "]"),
                      let index = Int(rest[rest.index(after: rest.startIndex)..<close]), index >= 0 else { return nil }
                steps.append(.index(index))
                rest = rest[rest.index(after: close)...]
            }
        }
        guard !steps.isEmpty else { return nil }
        self.steps = steps
    }

    /// The value at the path, as it is.
    public func value(in value: JSONValue) -> JSONValue? {
        var current = value
        for step in steps {
            switch step {
            case .key(let key): guard let next = current[key] else { return nil }; current = next
            case .index(let index):
                guard let array = current.arrayValue, index < array.count else { return nil }
                current = array[index]
            }
        }
        return current
    }

    /// The keys of a path without indexes (`.spec.replicas` → ["spec", "replicas"]); nil when it has indexes.
    public var keys: [String]? {
        var keys: [String] = []
        for step in steps {
            guard case .key(let key) = step else { return nil }
            keys.append(key)
        }
        return keys
    }

    /// The value at the path, as a label value would hold it.
    public func read(_ value: JSONValue) -> String? {
        guard let current = self.value(in: value) else { return nil }
        switch current {
        case .string(let text): return text
        case .integer, .double, .bool: return current.serializedString()
        default: return nil
        }
    }
}
