import FlotillaAPI
import HTTPTypes
import Hummingbird

/// A non-resource API the control plane serves beside the Kubernetes one (e.g. MEC discovery under `/mec/`). It gets
/// the request after authentication and authorization (get for GET, create for POST…, as for any non-resource path),
/// and its `APIError`s become `Status` objects like every other error.
public protocol APIExtension: Sendable {
    /// The paths it owns start with this (`/mec/discovery/`).
    var pathPrefix: String { get }
    /// The `resource` label of its requests in the server's metrics.
    var metricName: String { get }
    func respond(to request: Request, body: [UInt8], user: UserInfo) async throws(APIError) -> ExtensionResponse
    /// Create-only review kinds it answers (`ResourceDescriptor.createOnly`).
    var reviewedResources: [GroupResource] { get }
    /// Fills in the status of an admitted review object; the server returns it with 201 and stores nothing.
    func review(_ object: JSONValue, resource: GroupResource) async throws(APIError) -> JSONValue
    /// Whether a bearer token may also come as the `token` query parameter: a browser page (and its EventSource)
    /// cannot set the Authorization header. Off unless an extension serves browsers.
    var acceptsQueryToken: Bool { get }
}

extension APIExtension {
    public var reviewedResources: [GroupResource] { [] }
    public var acceptsQueryToken: Bool { false }
    public func review(_ object: JSONValue, resource: GroupResource) async throws(APIError) -> JSONValue {
        throw APIError(.methodNotAllowed, "\(resource.resource) are not reviewed here")
    }
}

/// What an extension answers: a status and a body.
public struct ExtensionResponse: Sendable {
    public enum Content: Sendable {
        case json(JSONValue)
        /// A static document (a page, a script) of the given media type.
        case bytes([UInt8], contentType: String)
        /// Chunks written as they come (server-sent events); the stream ends when the extension finishes it, the
        /// client goes away or the server shuts down.
        case stream(AsyncStream<[UInt8]>, contentType: String)
    }

    public var status: HTTPResponse.Status
    public var content: Content
    /// Headers besides the content type (a created resource's Location, a Warning).
    public var headers: HTTPFields

    public init(status: HTTPResponse.Status = .ok, body: JSONValue, headers: HTTPFields = [:]) {
        self.status = status
        self.content = .json(body)
        self.headers = headers
    }

    public init(status: HTTPResponse.Status = .ok, content: Content, headers: HTTPFields = [:]) {
        self.status = status
        self.content = content
        self.headers = headers
    }
}

extension HTTPField.Name {
    /// RFC 7234's Warning (`299 - "…"`): what the server accepted but does not act on.
    public static let warning = HTTPField.Name("Warning")!
}
