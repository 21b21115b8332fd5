/// Why a selector string was rejected.
public struct SelectorParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var input: String
    public var message: String
    public var description: String { "unable to parse requirement: \(message)" }
}

/// One requirement of a label selector.
public struct Requirement: Sendable, Hashable, CustomStringConvertible {
    public enum Operator: String, Sendable, Hashable {
        case equals = "="
        case notEquals = "!="
        case `in` = "in"
        case notIn = "notin"
        case exists = "exists"
        case doesNotExist = "!"
        case greaterThan = "gt"
        case lessThan = "lt"
    }

    public var key: String
    public var `operator`: Operator
    public var values: [String]

    /// Validates the key, the values and their count for the operator.
    public init(key: String, operator op: Operator, values: [String]) throws(SelectorParseError) {
        if let problem = NameValidation.qualifiedName(key).first {
            throw SelectorParseError(input: key, message: "invalid label key \"\(key)\": \(problem)")
        }
        switch op {
        case .equals, .notEquals:
            guard values.count == 1 else { throw SelectorParseError(input: key, message: "exact-match compatibility requires one single value") }
        case .in, .notIn:
            guard !values.isEmpty else { throw SelectorParseError(input: key, message: "for 'in', 'notin' operators, values set can't be empty") }
        case .exists, .doesNotExist:
            guard values.isEmpty else { throw SelectorParseError(input: key, message: "values set must be empty for exists and does not exist") }
        case .greaterThan, .lessThan:
            guard values.count == 1, Int64(values[0]) != nil else {
                throw SelectorParseError(input: key, message: "for 'Gt', 'Lt' operators, exactly one integer value is required")
            }
        }
        for value in values where op != .greaterThan && op != .lessThan {
            if let problem = NameValidation.labelValue(value).first {
                throw SelectorParseError(input: value, message: "invalid label value: \"\(value)\": \(problem)")
            }
        }
        self.key = key
        self.operator = op
        self.values = values
    }

    /// `!=` and `notin` also match objects that lack the key, as in Kubernetes.
    public func matches(_ labels: [String: String]) -> Bool {
        let value = labels[key]
        switch `operator` {
        case .equals: return value == values[0]
        case .notEquals: return value != values[0]
        case .in: return value.map(values.contains) ?? false
        case .notIn: return !(value.map(values.contains) ?? false)
        case .exists: return value != nil
        case .doesNotExist: return value == nil
        case .greaterThan:
            guard let v = value.flatMap({ Int64($0) }), let bound = Int64(values[0]) else { return false }
            return v > bound
        case .lessThan:
            guard let v = value.flatMap({ Int64($0) }), let bound = Int64(values[0]) else { return false }
            return v < bound
        }
    }

    public var description: String {
        switch `operator` {
        case .equals: return "\(key)=\(values[0])"
        case .notEquals: return "\(key)!=\(values[0])"
        case .in: return "\(key) in (\(values.joined(separator: ",")))"
        case .notIn: return "\(key) notin (\(values.joined(separator: ",")))"
        case .exists: return key
        case .doesNotExist: return "!\(key)"
        case .greaterThan: return "\(key)>\(values[0])"
        case .lessThan: return "\(key)<\(values[0])"
        }
    }
}

/// A parsed label selector: requirements ANDed together. The empty selector matches everything.
public struct Selector: Sendable, Hashable, CustomStringConvertible {
    public var requirements: [Requirement]

    public init(requirements: [Requirement] = []) { self.requirements = requirements }

    public static let everything = Selector()

    public var isEmpty: Bool { requirements.isEmpty }

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }

    public var description: String { requirements.map(\.description).joined(separator: ",") }

    /// Parses the query-string form: `env=prod,tier!=db,app in (a,b),!legacy,release`.
    public init(parsing text: String) throws(SelectorParseError) {
        var lexer = SelectorLexer(text: text)
        var requirements: [Requirement] = []
        lexer.skipSpaces()
        // An empty string selects everything; otherwise requirements separated by commas, none empty.
        while !lexer.atEnd {
            requirements.append(try lexer.requirement())
            lexer.skipSpaces()
            if lexer.atEnd { break }
            guard lexer.consume(",") else {
                throw SelectorParseError(input: text, message: "found '\(lexer.rest)', expected: ',' or end of string")
            }
            lexer.skipSpaces()
            if lexer.atEnd { throw SelectorParseError(input: text, message: "found '', expected: identifier after ','") }
        }
        self.requirements = requirements
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = self[...]
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

struct SelectorLexer {
    let chars: [Character]
    let text: String
    var index = 0

    init(text: String) {
        self.text = text
        self.chars = Array(text)
    }

    var atEnd: Bool { index >= chars.count }
    var rest: String { String(chars[index...]) }

    mutating func skipSpaces() { while index < chars.count, chars[index] == " " { index += 1 } }

    mutating func consume(_ token: String) -> Bool {
        let tokenChars = Array(token)
        guard index + tokenChars.count <= chars.count, Array(chars[index..<index + tokenChars.count]) == tokenChars
        else { return false }
        index += tokenChars.count
        return true
    }

    static let specials: Set<Character> = [",", "=", "!", "(", ")", " ", "<", ">"]

    mutating func word() -> String {
        let start = index
        while index < chars.count, !Self.specials.contains(chars[index]) { index += 1 }
        return String(chars[start..<index])
    }

    func fail(_ message: String) -> SelectorParseError { SelectorParseError(input: text, message: message) }

    mutating func requirement() throws(SelectorParseError) -> Requirement {
        if consume("!") {
            skipSpaces()
            let key = word()
            guard !key.isEmpty else { throw fail("found '\(rest)', expected: identifier after '!'") }
            return try Requirement(key: key, operator: .doesNotExist, values: [])
        }
        let key = word()
        guard !key.isEmpty else { throw fail("found '\(rest)', expected: identifier") }
        skipSpaces()
        if atEnd || chars[index] == "," { return try Requirement(key: key, operator: .exists, values: []) }
        if consume("==") || consume("=") {
            skipSpaces()
            return try Requirement(key: key, operator: .equals, values: [word()])
        }
        if consume("!=") {
            skipSpaces()
            return try Requirement(key: key, operator: .notEquals, values: [word()])
        }
        if consume(">") {
            skipSpaces()
            return try Requirement(key: key, operator: .greaterThan, values: [word()])
        }
        if consume("<") {
            skipSpaces()
            return try Requirement(key: key, operator: .lessThan, values: [word()])
        }
        let op = word()
        let setOperator: Requirement.Operator
        switch op {
        case "in": setOperator = .in
        case "notin": setOperator = .notIn
        default: throw fail("found '\(op)', expected: in, notin, =, ==, !=, gt, lt")
        }
        skipSpaces()
        guard consume("(") else { throw fail("found '\(rest)', expected: '('") }
        var values: [String] = []
        while true {
            skipSpaces()
            let value = word()
            values.append(value)
            skipSpaces()
            if consume(",") { continue }
            if consume(")") { break }
            throw fail("found '\(rest)', expected: ',' or ')'")
        }
        // `in ()` parses as one empty value, which the requirement rejects as "can't be empty".
        if values == [""] { values = [] }
        return try Requirement(key: key, operator: setOperator, values: values)
    }
}
