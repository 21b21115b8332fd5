/// The one error type that crosses module seams. Every failure Flotilla reports to a client is an `APIError`,
/// and `status` turns it into the Kubernetes `Status` object in one place.
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: StatusReason
    public var message: String
    public var details: StatusDetails?

    public init(_ reason: StatusReason, _ message: String, details: StatusDetails? = nil) {
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var code: Int { reason.code }
    public var description: String { "\(reason.rawValue): \(message)" }

    public var status: Status {
        Status(status: "Failure", message: message, reason: reason.rawValue, details: details, code: reason.code)
    }

    /// `deployments.apps "web" not found`, the wording kubectl users know.
    public static func notFound(_ resource: GroupResource, name: String) -> APIError {
        APIError(.notFound, "\(resource) \"\(name)\" not found",
            details: StatusDetails(name: name, group: resource.group, kind: resource.resource))
    }

    public static func alreadyExists(_ resource: GroupResource, name: String) -> APIError {
        APIError(.alreadyExists, "\(resource) \"\(name)\" already exists",
            details: StatusDetails(name: name, group: resource.group, kind: resource.resource))
    }

    public static func conflict(_ resource: GroupResource, name: String, _ why: String) -> APIError {
        APIError(.conflict, "Operation cannot be fulfilled on \(resource) \"\(name)\": \(why)",
            details: StatusDetails(name: name, group: resource.group, kind: resource.resource))
    }

    /// 422 with one cause per field error.
    public static func invalid(kind: String, group: String, name: String, errors: [FieldError]) -> APIError {
        let qualified = group.isEmpty ? kind : "\(kind).\(group)"
        let summary = errors.map(\.description).joined(separator: ", ")
        let message = errors.count == 1
            ? "\(qualified) \"\(name)\" is invalid: \(summary)"
            : "\(qualified) \"\(name)\" is invalid: [\(summary)]"
        return APIError(.invalid, message, details: StatusDetails(
            name: name, group: group, kind: kind,
            causes: errors.map { StatusCause(reason: $0.type.rawValue, message: $0.body, field: $0.field.description) }))
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }

    public static func expired(_ message: String) -> APIError { APIError(.expired, message) }

    public static func forbidden(_ message: String) -> APIError { APIError(.forbidden, message) }

    public static func internalError(_ message: String = "an internal error occurred") -> APIError {
        APIError(.internalError, message)
    }
}
