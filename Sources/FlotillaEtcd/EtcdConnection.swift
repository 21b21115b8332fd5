import EtcdAPI
import Foundation
import FlotillaStore
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Synchronization

/// The gRPC clients of one etcd cluster: HTTP/2 connections to every member, balanced round-robin, a member that
/// fails skipped until it answers again. Unary calls time out after `requestTimeout` and are retried (three attempts)
/// when a member is unavailable; keepalive pings find a member that stopped answering on a busy connection.
///
/// **Why unary calls move to fresh connections every `callsPerConnection` calls.** etcd's gRPC server (grpc-go)
/// estimates bandwidth-delay with a PING after data arrives, so a small request costs one inbound PING. swift-nio-
/// http2, under grpc-swift, allows a peer 200 PING/SETTINGS frames per 30 s and then closes the connection with
/// ENHANCE_YOUR_CALM, failing the calls in flight (measured: the 197th create of a run). The limit is not
/// configurable through grpc-swift-nio-transport 2.9, so unary calls go to a connection set that is replaced, after
/// its calls finish, well before that count. Watches stay on a set of their own that is never replaced: a watch
/// sends (and so draws PINGs) only when it starts.
public final class EtcdConnection: Sendable {
    public typealias Client = GRPCClient<HTTP2ClientTransport.Posix>
    /// Calls a unary connection set carries before a fresh one takes over (each member's connection sees at most this).
    static let callsPerConnection = 150

    public let endpoints: EtcdEndpoints
    let logger: Logger
    private let makeTransport: @Sendable () throws -> HTTP2ClientTransport.Posix
    private let unary: Mutex<(current: Pooled, calls: Int)>
    private let watchClient: Client
    private let running = Mutex<[Task<Void, Never>]>([])

    /// A unary connection set and the calls using it: a retired set shuts down when its last call ends.
    final class Pooled: Sendable {
        let client: Client
        private let state = Mutex<(inFlight: Int, retired: Bool)>((0, false))

        init(_ client: Client) { self.client = client }

        func enter() { state.withLock { $0.inFlight += 1 } }

        func leave() {
            let last = state.withLock { state -> Bool in
                state.inFlight -= 1
                return state.retired && state.inFlight == 0
            }
            if last { client.beginGracefulShutdown() }
        }

        func retire() {
            let idle = state.withLock { state -> Bool in
                state.retired = true
                return state.inFlight == 0
            }
            if idle { client.beginGracefulShutdown() }
        }
    }

    public init(_ endpoints: EtcdEndpoints, requestTimeout: Duration = .seconds(5), logger: Logger = Logger(label: "flotilla.etcd"))
        throws(BackendError)
    {
        self.endpoints = endpoints
        self.logger = logger
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
        let security: HTTP2ClientTransport.Posix.TransportSecurity
        do { security = try Self.security(endpoints) } catch { throw .storage("etcd: cannot set up TLS: \(error)") }
        makeTransport = { [config] in
            try HTTP2ClientTransport.Posix(target: Self.target(endpoints), transportSecurity: security, config: config, serviceConfig: service)
        }
        do {
            unary = Mutex((Pooled(Client(transport: try makeTransport())), 0))
            watchClient = Client(transport: try makeTransport())
        } catch {
            throw .storage("etcd: cannot set up the client: \(error)")
        }
        start(unary.withLock { $0.current.client })
        start(watchClient)
    }

    private func start(_ client: Client) {
        let logger = logger
        let task = Task {
            do { try await client.runConnections() } catch { logger.error("etcd client stopped", metadata: ["error": "\(error)"]) }
        }
        running.withLock { $0.append(task) }
    }

    /// Runs one unary call on the current connection set; every `callsPerConnection` calls a fresh set takes over
    /// and the old one closes once its calls have ended.
    func unaryCall<T: Sendable>(_ body: (Client) async throws -> T) async throws -> T {
        let (pooled, fresh, retired) = unary.withLock { state -> (Pooled, Pooled?, Pooled?) in
            state.calls += 1
            if state.calls > Self.callsPerConnection, let client = try? Client(transport: makeTransport()) {
                let old = state.current
                state = (Pooled(client), 1)
                state.current.enter()
                return (state.current, state.current, old)
            }
            state.current.enter()
            return (state.current, nil, nil)
        }
        if let fresh { start(fresh.client) }
        retired?.retire()
        defer { pooled.leave() }
        return try await body(pooled.client)
    }

    var watchService: Etcdserverpb_Watch.Client<HTTP2ClientTransport.Posix> { Etcdserverpb_Watch.Client(wrapping: watchClient) }

    /// Closes every connection once the calls in flight end (watches are cancelled by their owners first).
    public func close() async {
        unary.withLock { $0.current }.retire()
        watchClient.beginGracefulShutdown()
        for task in running.withLock({ $0 }) { await task.value }
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
        do { return try await unaryCall { try await Etcdserverpb_KV.Client(wrapping: $0).range(request) } } catch { throw Self.translate(error) }
    }

    func txn(_ request: Etcdserverpb_TxnRequest) async throws(BackendError) -> Etcdserverpb_TxnResponse {
        do { return try await unaryCall { try await Etcdserverpb_KV.Client(wrapping: $0).txn(request) } } catch { throw Self.translate(error) }
    }

    func put(_ request: Etcdserverpb_PutRequest) async throws(BackendError) -> Etcdserverpb_PutResponse {
        do { return try await unaryCall { try await Etcdserverpb_KV.Client(wrapping: $0).put(request) } } catch { throw Self.translate(error) }
    }

    func compact(_ request: Etcdserverpb_CompactionRequest) async throws(BackendError) -> Etcdserverpb_CompactionResponse {
        do { return try await unaryCall { try await Etcdserverpb_KV.Client(wrapping: $0).compact(request) } } catch { throw Self.translate(error) }
    }

    /// A plain put, no compare: the baseline `flotilla bench store --backend etcd` measures the store against.
    public func put(key: String, value: [UInt8]) async throws(BackendError) {
        var request = Etcdserverpb_PutRequest()
        request.key = Data(key.utf8)
        request.value = Data(value)
        _ = try await put(request)
    }

    /// One member's status (version, raft leader, revision) through the balancer's next member.
    public func status() async throws(BackendError) -> Etcdserverpb_StatusResponse {
        do {
            return try await unaryCall { try await Etcdserverpb_Maintenance.Client(wrapping: $0).status(Etcdserverpb_StatusRequest()) }
        } catch {
            throw Self.translate(error)
        }
    }
}
