/// The structured label selector found in specs (`matchLabels` AND `matchExpressions`).
@FastJSON
public struct LabelSelector: Sendable, Hashable, Codable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [LabelSelectorRequirement]?

    public init(matchLabels: [String: String]? = nil, matchExpressions: [LabelSelectorRequirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// The equivalent parsed selector. An empty structured selector matches everything.
    public func selector() throws(SelectorParseError) -> Selector {
        var requirements: [Requirement] = []
        for key in (matchLabels ?? [:]).keys.sorted() {
            requirements.append(try Requirement(key: key, operator: .equals, values: [matchLabels![key]!]))
        }
        for expression in matchExpressions ?? [] {
            let op: Requirement.Operator
            switch expression.operator {
            case "In": op = .in
            case "NotIn": op = .notIn
            case "Exists": op = .exists
            case "DoesNotExist": op = .doesNotExist
            default:
                throw SelectorParseError(input: expression.key, message: "\"\(expression.operator)\" is not a valid label selector operator")
            }
            requirements.append(try Requirement(key: expression.key, operator: op, values: expression.values ?? []))
        }
        return Selector(requirements: requirements)
    }

    /// The structured form of a parsed selector (what an API answers with the selector it was asked): `=` requirements
    /// become `matchLabels`, the others expressions. `!=`, `gt` and `lt` have no structured form: nil.
    public init?(_ selector: Selector) {
        var labels: [String: String] = [:], expressions: [LabelSelectorRequirement] = []
        for requirement in selector.requirements {
            switch requirement.operator {
            case .equals: labels[requirement.key] = requirement.values[0]
            case .in: expressions.append(LabelSelectorRequirement(key: requirement.key, operator: "In", values: requirement.values))
            case .notIn: expressions.append(LabelSelectorRequirement(key: requirement.key, operator: "NotIn", values: requirement.values))
            case .exists: expressions.append(LabelSelectorRequirement(key: requirement.key, operator: "Exists"))
            case .doesNotExist: expressions.append(LabelSelectorRequirement(key: requirement.key, operator: "DoesNotExist"))
            case .notEquals, .greaterThan, .lessThan: return nil
            }
        }
        self.init(matchLabels: labels.isEmpty ? nil : labels, matchExpressions: expressions.isEmpty ? nil : expressions)
    }

    /// Matches labels; a selector that does not parse matches nothing (validation reports it).
    public func matches(_ labels: [String: String]) -> Bool {
        (try? selector().matches(labels)) ?? false
    }

    /// Field errors for a structured selector at `path`.
    public func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = validateLabels(matchLabels ?? [:], path: path.child("matchLabels"))
        for (offset, expression) in (matchExpressions ?? []).enumerated() {
            let at = path.child("matchExpressions").index(offset)
            for problem in NameValidation.qualifiedName(expression.key) {
                errors.append(.invalid(at.child("key"), expression.key, problem))
            }
            switch expression.operator {
            case "In", "NotIn":
                if expression.values?.isEmpty ?? true {
                    errors.append(.required(at.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
                }
            case "Exists", "DoesNotExist":
                if !(expression.values?.isEmpty ?? true) {
                    errors.append(.forbidden(at.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
                }
            default:
                errors.append(.notSupported(at.child("operator"), expression.operator, supported: ["In", "NotIn", "Exists", "DoesNotExist"]))
            }
        }
        return errors
    }
}

@FastJSON
public struct LabelSelectorRequirement: Sendable, Hashable, Codable {
    public var key: String
    public var `operator`: String
    public var values: [String]?

    public init(key: String, operator: String, values: [String]? = nil) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }
}
