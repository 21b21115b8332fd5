/// Kubernetes `StatusReason` values and the HTTP code each one travels with.
public struct StatusReason: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public var code: Int

    public init(rawValue: String) {
        self.rawValue = rawValue
        self.code = 500
    }

    public init(_ rawValue: String, code: Int) {
        self.rawValue = rawValue
        self.code = code
    }

    public var description: String { rawValue }

    public static let badRequest = StatusReason("BadRequest", code: 400)
    public static let unauthorized = StatusReason("Unauthorized", code: 401)
    public static let forbidden = StatusReason("Forbidden", code: 403)
    public static let notFound = StatusReason("NotFound", code: 404)
    public static let methodNotAllowed = StatusReason("MethodNotAllowed", code: 405)
    public static let notAcceptable = StatusReason("NotAcceptable", code: 406)
    public static let alreadyExists = StatusReason("AlreadyExists", code: 409)
    public static let conflict = StatusReason("Conflict", code: 409)
    public static let expired = StatusReason("Expired", code: 410)
    public static let gone = StatusReason("Gone", code: 410)
    public static let requestEntityTooLarge = StatusReason("RequestEntityTooLarge", code: 413)
    public static let unsupportedMediaType = StatusReason("UnsupportedMediaType", code: 415)
    public static let invalid = StatusReason("Invalid", code: 422)
    public static let tooManyRequests = StatusReason("TooManyRequests", code: 429)
    public static let internalError = StatusReason("InternalError", code: 500)
    public static let serviceUnavailable = StatusReason("ServiceUnavailable", code: 503)
    public static let timeout = StatusReason("Timeout", code: 504)
}
