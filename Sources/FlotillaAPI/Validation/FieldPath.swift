/// A path to a field in an object, printed the way Kubernetes prints it: `spec.template.spec.containers[0].image`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public enum Element: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var elements: [Element]

    public init(_ elements: [Element] = []) { self.elements = elements }

    /// `FieldPath("spec.replicas")` splits on dots.
    public init(_ dotted: String) {
        self.elements = dotted.split(separator: ".").map { .key(String($0)) }
    }

    init(codingPath: [any CodingKey]) {
        self.elements = codingPath.map { key in
            if key is IndexKey, let index = key.intValue { return .index(index) }
            return .key(key.stringValue)
        }
    }

    public func child(_ key: String) -> FieldPath { FieldPath(elements + [.key(key)]) }
    public func index(_ index: Int) -> FieldPath { FieldPath(elements + [.index(index)]) }
    /// A map entry: `metadata.labels[app]`.
    public func key(_ key: String) -> FieldPath { FieldPath(elements + [.key("[\(key)]")]) }

    public var description: String {
        var out = ""
        for element in elements {
            switch element {
            case .key(let k):
                if k.hasPrefix("[") { out += k } else { out += out.isEmpty ? k : ".\(k)" }
            case .index(let i):
                out += "[\(i)]"
            }
        }
        return out
    }
}
