/// A parsed field selector: `metadata.name=web,status.phase!=Running`. Only `=`, `==` and `!=`, ANDed.
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    public struct Requirement: Sendable, Hashable {
        public var field: String
        public var negated: Bool
        public var value: String

        public init(field: String, negated: Bool, value: String) {
            self.field = field
            self.negated = negated
            self.value = value
        }
    }

    public var requirements: [Requirement]

    public init(requirements: [Requirement] = []) { self.requirements = requirements }

    public init(parsing text: String) throws(SelectorParseError) {
        var requirements: [Requirement] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let term = String(part).trimmingSpaces
            if term.isEmpty {
                if text.trimmingSpaces.isEmpty { break }
                throw SelectorParseError(input: text, message: "empty term in field selector")
            }
            if let range = term.range(of: "!=") {
                requirements.append(Requirement(field: String(term[..<range.lowerBound]), negated: true,
                    value: String(term[range.upperBound...])))
            } else if let range = term.range(of: "==") ?? term.range(of: "=") {
                requirements.append(Requirement(field: String(term[..<range.lowerBound]), negated: false,
                    value: String(term[range.upperBound...])))
            } else {
                throw SelectorParseError(input: text, message: "invalid field selector term \"\(term)\": expected field=value or field!=value")
            }
        }
        for requirement in requirements where requirement.field.isEmpty {
            throw SelectorParseError(input: text, message: "field selector term has no field name")
        }
        self.requirements = requirements
    }

    public var isEmpty: Bool { requirements.isEmpty }

    /// The fields named, so a caller can reject the ones its kind does not support before matching.
    public var fields: [String] { requirements.map(\.field) }

    /// Matches against the object's selectable fields (missing fields read as "").
    public func matches(_ fields: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            let actual = fields[requirement.field] ?? ""
            return requirement.negated ? actual != requirement.value : actual == requirement.value
        }
    }

    public var description: String {
        requirements.map { "\($0.field)\($0.negated ? "!=" : "=")\($0.value)" }.joined(separator: ",")
    }
}
