import FlotillaAPI
import FlotillaServer
import FlotillaStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// One simulated edge cluster: a Kubernetes API subset served over HTTPS with its own CA and admin token
/// (FlotillaServer's machinery over an in-memory store), nodes from its `SiteSpec`, and the fake controllers and
/// kubelets that make deployments run. It can be taken down (connection refused) and brought back with its
/// state, slowed, or partitioned.
public actor EdgeSite {
    public enum State: String, Sendable { case stopped, running, down }

    public nonisolated let spec: SiteSpec
    public nonisolated let data: DataDirectory
    public nonisolated let store: any Store
    public nonisolated let faults = SiteFaults()
    /// `DIR/<site>.kubeconfig`, written once the site listens.
    public nonisolated let kubeconfig: URL
    var server: APIServer
    let reconciler: SiteReconciler
    /// metrics.k8s.io: what the site's pods and nodes use.
    let metrics: SiteMetrics
    let clock: any TimeSource
    let logger: Logger
    public private(set) var state = State.stopped
    /// The bound port; kept across down/up so clients find the site where it was.
    public private(set) var port = 0
    /// While down, the port stays reserved so that no other server on the machine takes it (a site's address is
    /// its own): clients are refused, and `up` listens there again.
    private var portHold: PortHold?
    private var listener: Task<Void, any Error>?
    /// The listener's service group, for a graceful stop of its accepting socket.
    private var listenerGroup: ServiceGroup?
    private var reconcilerTask: Task<Void, Never>?

    /// Prepares the site's data directory (`directory/<name>/`: CA, tokens) without listening yet.
    public init(spec: SiteSpec, directory: URL, workloads: WorkloadRegistry = .builtin,
                kubelet: KubeletConfiguration = KubeletConfiguration(), clock: any TimeSource = SystemTimeSource(),
                logger: Logger = Logger(label: "flotilla.member")) throws {
        self.spec = spec
        self.data = try DataDirectory.prepare(directory.appendingPathComponent(spec.name))
        self.kubeconfig = directory.appendingPathComponent("\(spec.name).kubeconfig")
        // A site keeps a shorter watch history than the control plane: many sites share one process.
        self.store = ResourceStore.memory(clock: clock, historyLimit: 5_000)
        self.clock = clock
        var logger = logger
        logger[metadataKey: "site"] = "\(spec.name)"
        self.logger = logger
        let serverLogger = Logger(label: "flotilla.member.api") { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        self.server = APIServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0, tls: true),
            data: data, store: store, registry: .memberCluster, clock: clock, logger: serverLogger,
            namespaces: ["default", "kube-system", "kube-public", "kube-node-lease"], gate: faults)
        server.serviceProxy = SiteServiceProxy(store: store, zone: spec.zone)
        self.reconciler = SiteReconciler(site: spec.name, store: store, clock: clock, kubelet: kubelet, workloads: workloads,
            logger: logger)
        self.metrics = SiteMetrics(store: store, reconciler: reconciler, clock: clock)
        server.computedResources = metrics
    }

    public nonisolated var name: String { spec.name }
    public nonisolated var adminToken: String { data.adminToken }
    public nonisolated var caPEM: String { data.authority.certificatePEM }
    public var baseURL: String { "https://127.0.0.1:\(port)" }

    /// Creates namespaces and nodes, starts the controllers and listens on `port` (0 picks one). Returns the port.
    @discardableResult
    public func start(port requested: Int = 0) async throws -> Int {
        guard state == .stopped else { return port }
        try await server.bootstrap()
        let now = Timestamp(clock.now())
        for node in SiteNodes.nodes(for: spec, now: now) {
            do {
                _ = try await store.create(Node.descriptor.groupResource, node.json(), options: .none)
            } catch {
                if error.reason != .alreadyExists { throw error }
            }
        }
        let reconciler = self.reconciler
        reconcilerTask = Task { await reconciler.run() }
        port = requested
        try await listen()
        return port
    }

    /// Stops listening: clients get "connection refused". Controllers keep running, as a cluster cut off from
    /// its clients would. A power cut also stops the controllers and every workload (their ports close), until `up`.
    public func down(powerCut: Bool = false) async {
        guard state == .running else { return }
        if powerCut { await reconciler.powerOff() }
        await closeListener(gracefully: false)
        portHold = PortHold(port: port)
        state = .down
        logger.notice("site down")
    }

    /// `gracefully`: stop accepting first, then end (slower: open client connections hold it for a few seconds).
    /// Cancelling a server while a connection it accepted is not yet being served traps in NIO ("Deinited
    /// NIOAsyncWriter without calling finish()", swift-nio #3481), so `stop()` goes gracefully. `down()` does not:
    /// like a site that lost power, its connections are cut at once (a graceful drain would wait for clients'
    /// keep-alive connections), and that rare trap is the price of an instant power cut.
    private func closeListener(gracefully: Bool) async {
        guard let listener else { return }
        faults.heal()
        server.watches.closeAll()
        if gracefully, let group = listenerGroup {
            Task { await group.triggerGracefulShutdown() }
        } else {
            listener.cancel()
        }
        _ = await listener.result
        self.listener = nil
        self.listenerGroup = nil
    }

    /// Listens again on the same port, with everything the site held.
    public func up() async throws {
        guard state == .down else { return }
        portHold = nil
        server.watches.reopen()
        try await listen()
        await reconciler.powerOn()
        logger.notice("site up")
    }

    /// Stops listening, the controllers and every workload.
    public func stop() async {
        portHold = nil
        await closeListener(gracefully: true)
        reconciler.finish()
        reconcilerTask?.cancel()
        await reconcilerTask?.value
        reconcilerTask = nil
        state = .stopped
    }

    private func listen() async throws {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let kubeconfig = self.kubeconfig
        let data = self.data
        let name = spec.name
        // Taking a site down cuts its connections on purpose; Hummingbird would log each cut as an error.
        var transportLogger = logger
        transportLogger.logLevel = .critical
        let app = try server.makeApplication(port: port, transportLogger: transportLogger) { port in
            do {
                try writeSecret(Kubeconfig.render(clusterName: name, server: "https://127.0.0.1:\(port)", caPEM: data.authority.certificatePEM,
                    user: "\(name)-admin", credential: .token(data.adminToken)), to: kubeconfig)
            } catch {
                Logger(label: "flotilla.member").error("cannot write kubeconfig", metadata: ["path": "\(kubeconfig.path)"])
            }
            continuation.yield(port)
        }
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: app), .init(service: server.watchDrainer, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            let reason = await task.result
            throw SiteError.cannotListen(site: spec.name, port: port, reason: "\(reason)")
        }
        port = bound
        listener = task
        listenerGroup = group
        state = .running
    }

    // MARK: Faults

    /// Says a pod uses `usage` (metrics.k8s.io reports it) whatever its workload's model says; nil clears it.
    public func setUsage(namespace: String, pod: String, usage: WorkloadUsage?) {
        metrics.override(namespace: namespace, pod: pod, usage: usage)
    }

    public func crashPod(namespace: String, name: String) async throws(APIError) {
        try await reconciler.crash(namespace: namespace, name: name)
    }

    /// Cordons the node and evicts its pods. Returns how many were evicted.
    @discardableResult
    public func drainNode(_ name: String) async throws(APIError) -> Int {
        try await reconciler.drain(node: name)
    }

    public func uncordonNode(_ name: String) async throws(APIError) {
        try await reconciler.uncordon(node: name)
    }
}

public enum SiteError: Error, CustomStringConvertible {
    case cannotListen(site: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let site, let port, let reason): return "site \(site) cannot listen on port \(port): \(reason)"
        }
    }
}

/// A TCP socket bound to 127.0.0.1:`port` that never listens: connections to it are refused, and, without
/// SO_REUSEADDR, no other socket can bind the port (the kernel's port-0 picks skip it too). Released on deinit.
final class PortHold: Sendable {
    let descriptor: Int32

    init?(port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            return nil
        }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
