import FlotillaAPI

/// The Service `proxy` subresource (`/api/v1/namespaces/{ns}/services/{name}[:{port}]/proxy/{path}`): how a
/// caller reaches a service through the API server, standing in for kube-proxy. A server without one answers 404.
/// Simulated sites implement it over their EndpointSlices (local endpoints first, then imported ones).
public protocol ServiceProxy: Sendable {
    func forward(_ call: ProxiedCall) async throws(APIError) -> ProxiedAnswer
}

/// One call to forward: the service, the port (a name or number, or nil for the only one) and the HTTP request.
public struct ProxiedCall: Sendable {
    public var namespace: String
    public var service: String
    public var port: String?
    /// Starts with `/`.
    public var path: String
    public var query: String?
    public var method: String
    public var contentType: String?
    public var body: [UInt8]

    /// `web:http` → service `web`, port `http`; `web` → no port. (Kubernetes also allows `https:web:443`; the scheme
    /// part is refused.)
    static func split(_ name: String) throws(APIError) -> (service: String, port: String?) {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: return (parts[0], nil)
        case 2 where !parts[0].isEmpty && !parts[1].isEmpty: return (parts[0], parts[1])
        default: throw APIError.badRequest("service proxy name \"\(name)\" must be NAME or NAME:PORT (scheme prefixes are not served)")
        }
    }
}

/// What the service answered.
public struct ProxiedAnswer: Sendable {
    public var status: Int
    public var contentType: String?
    public var body: [UInt8]

    public init(status: Int, contentType: String?, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}
