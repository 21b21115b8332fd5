/// One problem with one field, the unit of validation results (Kubernetes' `field.Error`).
public struct FieldError: Sendable, Hashable, CustomStringConvertible, Error {
    /// The cause reasons kubectl prints (`details.causes[].reason`).
    public enum ErrorType: String, Sendable, Hashable {
        case required = "FieldValueRequired"
        case invalid = "FieldValueInvalid"
        case duplicate = "FieldValueDuplicate"
        case notSupported = "FieldValueNotSupported"
        case tooLong = "FieldValueTooLong"
        case tooMany = "FieldValueTooMany"
        case forbidden = "FieldValueForbidden"
        case typeInvalid = "FieldValueTypeInvalid"
    }

    public var type: ErrorType
    public var field: FieldPath
    public var value: String?
    public var detail: String

    public init(_ type: ErrorType, _ field: FieldPath, value: String? = nil, _ detail: String) {
        self.type = type
        self.field = field
        self.value = value
        self.detail = detail
    }

    public static func required(_ field: FieldPath, _ detail: String = "") -> FieldError {
        FieldError(.required, field, detail)
    }

    public static func invalid(_ field: FieldPath, _ value: String, _ detail: String) -> FieldError {
        FieldError(.invalid, field, value: value, detail)
    }

    public static func notSupported(_ field: FieldPath, _ value: String, supported: [String]) -> FieldError {
        FieldError(.notSupported, field, value: value,
            "supported values: " + supported.map { "\"\($0)\"" }.joined(separator: ", "))
    }

    public static func duplicate(_ field: FieldPath, _ value: String) -> FieldError {
        FieldError(.duplicate, field, value: value, "")
    }

    public static func forbidden(_ field: FieldPath, _ detail: String) -> FieldError {
        FieldError(.forbidden, field, detail)
    }

    public var description: String { "\(field): \(body)" }

    /// The error without its field path, as Kubernetes puts it in a `StatusCause.message` (kubectl prints the cause's
    /// field before it).
    public var body: String {
        var text = ""
        switch type {
        case .required: text += "Required value"
        case .invalid: text += "Invalid value: \(quoted(value))"
        case .duplicate: text += "Duplicate value: \(quoted(value))"
        case .notSupported: text += "Unsupported value: \(quoted(value))"
        case .tooLong: text += "Too long"
        case .tooMany: text += "Too many"
        case .forbidden: text += "Forbidden"
        case .typeInvalid: text += "Invalid value: \(quoted(value))"
        }
        if !detail.isEmpty { text += ": \(detail)" }
        return text
    }

    private func quoted(_ value: String?) -> String { "\"\(value ?? "")\"" }
}

/// Collects field errors as a validator walks an object.
public struct ValidationResult: Sendable {
    public private(set) var errors: [FieldError] = []
    public init() {}
    public mutating func append(_ error: FieldError) { errors.append(error) }
    public mutating func append(contentsOf more: [FieldError]) { errors.append(contentsOf: more) }
    public var isValid: Bool { errors.isEmpty }
}
