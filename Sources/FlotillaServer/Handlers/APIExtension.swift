import FlotillaAPI
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
}

extension APIExtension {
    public var reviewedResources: [GroupResource] { [] }
    public func review(_ object: JSONValue, resource: GroupResource) async throws(APIError) -> JSONValue {
        throw APIError(.methodNotAllowed, "\(resource.resource) are not reviewed here")
    }
}

/// What an extension answers: a JSON body and a status.
public struct ExtensionResponse: Sendable {
    public var status: HTTPResponse.Status
    public var body: JSONValue

    public init(status: HTTPResponse.Status = .ok, body: JSONValue) {
        self.status = status
        self.body = body
    }
}
