import AsyncHTTPClient
import FlotillaAPI
import FlotillaServer
import FlotillaStore
import Foundation
import NIOCore
import Synchronization

/// A site's Service proxy (`services/{name}:{port}/proxy/…`): reads the Service and its EndpointSlices from the
/// site's store, orders the ready endpoints with `ProxyTargets`, and forwards the HTTP call. An imported endpoint is
/// reached only after the round trip its slice carries (the inter-site latency), so a remote answer costs what it
/// would across the network. A target that refuses the connection is skipped for the next one; the call fails with
/// 503 only when none is left.
final class SiteServiceProxy: ServiceProxy {
    let store: any Store
    let zone: String?
    let turns = Atomic<Int>(0)

    init(store: any Store, zone: String?) {
        self.store = store
        self.zone = zone
    }
    /// Connection attempts per call before giving up.
    static let attempts = 3
    static let timeout: TimeAmount = .seconds(10)
    static let maxResponseBytes = 10 * 1024 * 1024

    func forward(_ call: ProxiedCall) async throws(APIError) -> ProxiedAnswer {
        let serviceJSON = try await store.get(Service.descriptor.groupResource, namespace: call.namespace, name: call.service)
        let service: Service
        do { service = try Service(json: serviceJSON) } catch { throw APIError(.internalError, "service \(call.service) cannot be read: \(error)") }
        let port = try ProxyTargets.servicePort(of: service, named: call.port)
        let listed = try await store.list(EndpointSlice.descriptor.groupResource, options: ListOptions(filter: ObjectFilter(namespace: call.namespace)))
        let slices = listed.items.compactMap { try? EndpointSlice(json: $0) }
        let targets = ProxyTargets(service: service, port: port, slices: slices, zone: zone)
            .ordered(turn: turns.add(1, ordering: .relaxed).oldValue)
        guard !targets.isEmpty else {
            throw APIError(.serviceUnavailable, "no endpoints available for service \"\(call.service)\"")
        }
        var refused: [String] = []
        for target in targets.prefix(Self.attempts) {
            if target.roundTripMs > 0 { try? await Task.sleep(for: .milliseconds(target.roundTripMs)) }
            do {
                return try await send(call, to: target)
            } catch {
                refused.append("\(target.address):\(target.port)\(target.cluster.map { " in \($0)" } ?? "")")
            }
        }
        throw APIError(.serviceUnavailable, "no endpoint of service \"\(call.service)\" answered (tried \(refused.joined(separator: ", ")))")
    }

    private func send(_ call: ProxiedCall, to target: Target) async throws -> ProxiedAnswer {
        var url = "http://\(target.address):\(target.port)\(call.path)"
        if let query = call.query, !query.isEmpty { url += "?\(query)" }
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: call.method)
        if let type = call.contentType { request.headers.add(name: "Content-Type", value: type) }
        if !call.body.isEmpty { request.body = .bytes(ByteBuffer(bytes: call.body)) }
        let response = try await Self.client.execute(request, timeout: Self.timeout)
        let body = try await response.body.collect(upTo: Self.maxResponseBytes)
        return ProxiedAnswer(status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
            body: Array(body.readableBytesView))
    }

    typealias Target = ProxyTargets.Target

    /// One client for every site's proxy in the process, like kube-proxy's one per node. A refused connection fails
    /// at once (AsyncHTTPClient would otherwise retry it until the call's deadline) so the next endpoint is tried.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(1)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
