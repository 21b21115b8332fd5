import AsyncHTTPClient
import FlotillaAppKit
import Foundation
import NIOCore
import NIOHTTP1

/// The one HTTP client the MEC services use (to the access network and to app instances): short timeouts, because a
/// slow answer is as useless to a moving UE as none. Whoever makes one shuts it down (`shutdown()`); the services
/// take it as a parameter and never make their own.
public struct HTTPTransport: Sendable {
    public let client: HTTPClient
    let timeout: TimeAmount

    public init(client: HTTPClient = HTTPTransport.makeClient(), timeout: TimeAmount = .seconds(2)) {
        self.client = client
        self.timeout = timeout
    }

    public static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(500), read: .seconds(5))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public struct Reply: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: Data
    }

    public func send(_ method: HTTPMethod, _ url: String, body: Data? = nil, headers: [(String, String)] = [],
                     maxBytes: Int = 32 * 1024 * 1024) async throws(MECError) -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: maxBytes)
            return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
        } catch {
            throw MECError(.unavailable, "\(method.rawValue) \(url): \(error)", mayHaveArrived: !HTTPDelivery.neverConnected(error))
        }
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}
