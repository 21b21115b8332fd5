@_exported import AsyncHTTPClient
import FlotillaServer
@_exported import NIOHTTP1
import FlotillaAPI
import Foundation
import NIOCore
import NIOSSL

/// A small HTTPS client for tests: trusts the server's CA and sends a bearer token.
public final class TestClient: Sendable {
    public let http: HTTPClient
    let baseURL: String
    let token: String?

    public convenience init(server: RunningServer, token: String? = nil, clientCertificate: CertificateAuthority.Issued? = nil) throws {
        try self.init(baseURL: server.baseURL, caPEM: server.data.authority.certificatePEM,
            token: clientCertificate == nil ? (token ?? server.data.adminToken) : token, clientCertificate: clientCertificate)
    }

    /// A client for any server: its URL, the CA that signed its certificate, and a bearer token.
    public init(baseURL: String, caPEM: String?, token: String?, clientCertificate: CertificateAuthority.Issued? = nil,
                readTimeout: TimeAmount = .seconds(30)) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caPEM { tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(caPEM.utf8), format: .pem)]) }
        if let clientCertificate {
            tls.certificateChain = [.certificate(try NIOSSLCertificate(bytes: Array(clientCertificate.certificatePEM.utf8), format: .pem))]
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(clientCertificate.keyPEM.utf8), format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: readTimeout)
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.baseURL = baseURL
        self.token = token
    }

    public struct Reply: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        public var json: JSONValue? { try? JSONValue.parse(body) }
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    public func request(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = "application/json",
                        headers extra: [String: String] = [:], timeout: TimeAmount = .seconds(30)) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        let response = try await http.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer.readableBytesView))
    }

    public func request(_ method: HTTPMethod, _ path: String, json: JSONValue, contentType: String = "application/json") async throws -> Reply {
        try await request(method, path, body: json.serialized(), contentType: contentType)
    }

    public func shutdown() async throws { try await http.shutdown() }

    /// Runs `body` with this client, then shuts it down, whether `body` returned or threw.
    public func using<T>(_ body: (TestClient) async throws -> T) async throws -> T {
        try await withCleanup({ try await body(self) }, cleanup: { try? await self.shutdown() })
    }
}
