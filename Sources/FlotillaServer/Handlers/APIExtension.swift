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
