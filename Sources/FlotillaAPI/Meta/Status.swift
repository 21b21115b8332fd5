/// The `Status` object the API returns for every failure (and for some successful deletes).
@FastJSON
public struct Status: Sendable, Hashable, Codable {
    public var apiVersion: String = "v1"
    public var kind: String = "Status"
    public var metadata: ListMeta = ListMeta()
    public var status: String?
    public var message: String?
    public var reason: String?
    public var details: StatusDetails?
    public var code: Int?

    public init(status: String?, message: String?, reason: String?, details: StatusDetails?, code: Int?) {
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }

    public static func success(details: StatusDetails? = nil) -> Status {
        Status(status: "Success", message: nil, reason: nil, details: details, code: 200)
    }
}

@FastJSON
public struct StatusDetails: Sendable, Hashable, Codable {
    public var name: String?
    public var group: String?
    public var kind: String?
    public var uid: String?
    public var causes: [StatusCause]?
    public var retryAfterSeconds: Int?

    public init(name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil,
                causes: [StatusCause]? = nil, retryAfterSeconds: Int? = nil) {
        self.name = name
        self.group = group
        self.kind = kind
        self.uid = uid
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }
}

@FastJSON
public struct StatusCause: Sendable, Hashable, Codable {
    public var reason: String?
    public var message: String?
    public var field: String?

    public init(reason: String?, message: String?, field: String?) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}
