import EtcdAPI
import FlotillaStore
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging

/// One gRPC client for an etcd cluster: HTTP/2 connections to every member, balanced round-robin, a member that
/// fails skipped until it answers again. Unary calls time out after `requestTimeout` and are retried (three attempts)
/// when a member is unavailable; keepalive pings find a member that stopped answering on a busy connection.
public final class EtcdConnection: Sendable {
    public let endpoints: EtcdEndpoints
    let client: GRPCClient<HTTP2ClientTransport.Posix>
    let kv: Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix>
    let watchService: Etcdserverpb_Watch.Client<HTTP2ClientTransport.Posix>
    let maintenance: Etcdserverpb_Maintenance.Client<HTTP2ClientTransport.Posix>
    private let running: Task<Void, Never>

    public init(_ endpoints: EtcdEndpoints, requestTimeout: Duration = .seconds(5), logger: Logger = Logger(label: "flotilla.etcd"))
        throws(BackendError)
    {
        self.endpoints = endpoints
        let retry = RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1), backoffMultiplier: 2,
                                retryableStatusCodes: [.unavailable])
        // Watch is a stream that lives as long as the process: no timeout, and the watch cache restarts it itself.
        let service = ServiceConfig(methodConfig: [
            MethodConfig(names: [MethodConfig.Name(service: "etcdserverpb.KV"), MethodConfig.Name(service: "etcdserverpb.Maintenance")],
                         timeout: requestTimeout, executionPolicy: .retry(retry)),
        ], loadBalancingConfig: [.roundRobin])
        var config = HTTP2ClientTransport.Posix.Config.defaults
        // etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time) and without calls in flight.
        config.connection.keepalive = .init(time: .seconds(5), timeout: .seconds(3), allowWithoutCalls: false)
        config.backoff = .init(initial: .milliseconds(100), max: .seconds(2), multiplier: 1.6, jitter: 0.2)
        do {
            let transport = try HTTP2ClientTransport.Posix(target: Self.target(endpoints), transportSecurity: try Self.security(endpoints),
                                                           config: config, serviceConfig: service)
            client = GRPCClient(transport: transport)
        } catch {
            throw .storage("etcd: cannot set up the client: \(error)")
        }
        kv = Etcdserverpb_KV.Client(wrapping: client)
        watchService = Etcdserverpb_Watch.Client(wrapping: client)
        maintenance = Etcdserverpb_Maintenance.Client(wrapping: client)
        running = Task { [client] in
            do { try await client.runConnections() } catch { logger.error("etcd client stopped", metadata: ["error": "\(error)"]) }
        }
    }

    /// Closes every connection once the calls in flight end (watches are cancelled by their owners first).
    public func close() async {
        client.beginGracefulShutdown()
        await running.value
    }

    static func target(_ endpoints: EtcdEndpoints) -> any ResolvableTarget {
        let members = endpoints.members
        if members.count == 1, !EtcdEndpoints.isIPLiteral(members[0].host) {
            return .dns(host: members[0].host, port: members[0].port)
        }
        if members[0].host.contains(":") {
            return .ipv6(pairs: members.map { (host: $0.host, port: $0.port) })
        }
        return .ipv4(pairs: members.map { (host: $0.host, port: $0.port) })
    }

    static func security(_ endpoints: EtcdEndpoints) throws -> HTTP2ClientTransport.Posix.TransportSecurity {
        guard let files = endpoints.tls else { return .plaintext }
        return .tls { tls in
            if let ca = files.caFile { tls.trustRoots = .certificates([.file(path: ca, format: .pem)]) }
            if let cert = files.certFile, let key = files.keyFile {
                tls.certificateChain = [.file(path: cert, format: .pem)]
                tls.privateKey = .file(path: key, format: .pem)
            }
        }
    }

    /// What an etcd failure means to the store: a compacted revision, an unreachable or slow cluster, or an error.
    static func translate(_ error: any Error) -> BackendError {
        if let error = error as? BackendError { return error }
        guard let rpc = error as? RPCError else { return .storage("etcd: \(error)") }
        switch rpc.code {
        case .outOfRange where rpc.message.contains("compacted"):
            return .compacted(oldestAvailable: 0)
        case .unavailable, .deadlineExceeded, .cancelled, .resourceExhausted:
            return .unavailable("etcd: \(rpc.message.isEmpty ? "\(rpc.code)" : rpc.message)")
        default:
            return .storage("etcd: \(rpc.message)")
        }
    }

    // MARK: Calls

    func range(_ request: Etcdserverpb_RangeRequest) async throws(BackendError) -> Etcdserverpb_RangeResponse {
        do { return try await kv.range(request) } catch { throw Self.translate(error) }
    }

    func txn(_ request: Etcdserverpb_TxnRequest) async throws(BackendError) -> Etcdserverpb_TxnResponse {
        do { return try await kv.txn(request) } catch { throw Self.translate(error) }
    }

    func deleteRange(_ request: Etcdserverpb_DeleteRangeRequest) async throws(BackendError) -> Etcdserverpb_DeleteRangeResponse {
        do { return try await kv.deleteRange(request) } catch { throw Self.translate(error) }
    }

    func put(_ request: Etcdserverpb_PutRequest) async throws(BackendError) -> Etcdserverpb_PutResponse {
        do { return try await kv.put(request) } catch { throw Self.translate(error) }
    }

    func compact(_ request: Etcdserverpb_CompactionRequest) async throws(BackendError) -> Etcdserverpb_CompactionResponse {
        do { return try await kv.compact(request) } catch { throw Self.translate(error) }
    }

    /// One member's status (version, raft leader, revision) through the balancer's next member.
    public func status() async throws(BackendError) -> Etcdserverpb_StatusResponse {
        do { return try await maintenance.status(Etcdserverpb_StatusRequest()) } catch { throw Self.translate(error) }
    }
}
