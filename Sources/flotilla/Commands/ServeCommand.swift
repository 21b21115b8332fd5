import Logging
import ArgumentParser
import FlotillaAPI
import FlotillaAPIExtension
import FlotillaServer
import FlotillaStore
import Foundation
import FlotillaControllers
import FlotillaEtcd
import FlotillaMEC
import FlotillaRuntime
import Hummingbird
import ServiceLifecycle

/// `flotilla serve`: the Kubernetes-compatible control-plane API, on an embedded SQLite store or on etcd (then any
/// number of replicas share it; the controllers run in the one holding the leader-election Lease).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the control-plane API server (HTTPS; kubectl and the Python client work against it).",
        discussion: """
            On first start it creates a CA, a serving certificate, tokens and DIR/admin.kubeconfig; later starts reuse \
            them and the stored objects. Stop it with Ctrl-C (SIGINT) or SIGTERM.
              kubectl --kubeconfig DIR/admin.kubeconfig get clusters
            With --etcd-servers the objects live in etcd, and a second replica started with a copy of DIR serves the \
            same API with the same CA and tokens. The controllers run only in the replica holding the Lease \
            kube-system/flotilla-controller-manager (kubectl get lease -n kube-system).
            """
    )

    @Option(help: "Directory for the store, certificates, tokens and kubeconfigs.")
    var dataDir: String = "flotilla-data"

    @Option(help: "Address to listen on.")
    var bind: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 6443

    @Flag(help: "Serve plain HTTP instead of HTTPS (kubectl sends no credentials over HTTP).")
    var insecureHTTP = false

    @Flag(help: "Serve the API only, without the federation controllers (detector, scheduler, binding, execution, cluster status, failover).")
    var noControllers = false

    @Option(help: "Seconds between member health and resource probes.")
    var clusterStatusInterval: Double = 10

    @Option(help: "Seconds a member must keep failing before it is marked NotReady.")
    var clusterFailureThreshold: Double = 30

    @Option(help: "Seconds a NotReady member must keep answering before it is Ready again (a flapping link stays NotReady).")
    var clusterSuccessThreshold: Double = 30

    @Option(help: "Seconds a Pull cluster's agent may leave its lease unrenewed before the cluster is Ready=Unknown (Karmada's --cluster-monitor-grace-period).")
    var clusterMonitorGracePeriod: Double = 40

    @Option(help: "Evictions per second from clusters with untolerated NoExecute taints (a token bucket across all workloads).")
    var evictionRate: Double = 50

    @Option(help: "Seconds a Gracefully evicted copy waits for its replacements to be ready before it is removed anyway.")
    var gracefulEvictionTimeout: Double = 600

    @Option(help: "Purge mode of a cluster eviction when the policy sets no failover.cluster.purgeMode: Directly, Gracefully or Never.")
    var noExecuteTaintEvictionPurgeMode: String = PurgeMode.gracefully

    @Option(help: "Base URL of the access network (MEC 013/012 + Flotilla RTT API, e.g. a `flotilla sim`); enables MEC discovery, mobility and the access API gateway under /apig/.")
    var accessNetwork: String?

    @Option(help: "Seconds an Event is kept after it last happened (kube-apiserver's --event-ttl; 0 keeps them).")
    var eventTTL: Double = 3600

    @Option(help: "etcd members to store in (http://IP:PORT or https://IP:PORT, comma-separated). Without it, SQLite in --data-dir.")
    var etcdServers: String?

    @Option(help: "Prefix of every key in etcd.")
    var etcdPrefix: String = "/registry"

    @Option(help: "CA file that verifies the etcd members' certificates (https:// members).")
    var etcdCafile: String?

    @Option(help: "Client certificate to present to etcd (https:// members).")
    var etcdCertfile: String?

    @Option(help: "Key of --etcd-certfile.")
    var etcdKeyfile: String?

    @Option(help: "How often etcd's history is compacted (Go duration, 0 never); a watch older than that gets 410.")
    var etcdCompactionInterval = GoDuration(.seconds(300), text: "5m")

    @Option(help: "This replica's name in the leader election (default: HOSTNAME_PORT).")
    var identity: String?

    @Flag(inversion: .prefixedNo, help: "Run the controllers only while holding the leader-election Lease.")
    var leaderElect = true

    @Option(help: "How long a Lease holder that stopped renewing keeps it before another replica may take it.")
    var leaderElectLeaseDuration = GoDuration(.seconds(15), text: "15s")

    @Option(help: "How long the leader keeps trying to renew before it stops its controllers.")
    var leaderElectRenewDeadline = GoDuration(.seconds(10), text: "10s")

    @Option(help: "How often replicas try to take or renew the Lease.")
    var leaderElectRetryPeriod = GoDuration(.seconds(2), text: "2s")

    @Option(help: "A directory (or file) of ServiceOfferings to load at start, created or updated (e.g. manifests/catalog).")
    var catalog: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard eventTTL >= 0 else { throw ValidationError("--event-ttl must be 0 (keep events) or a positive number of seconds") }
        guard evictionRate > 0 else { throw ValidationError("--eviction-rate must be a positive number of evictions per second") }
        guard gracefulEvictionTimeout > 0 else { throw ValidationError("--graceful-eviction-timeout must be a positive number of seconds") }
        guard clusterSuccessThreshold >= 0, clusterFailureThreshold >= 0, clusterStatusInterval > 0 else {
            throw ValidationError("--cluster-status-interval must be positive; the failure and success thresholds must not be negative")
        }
        guard clusterMonitorGracePeriod > 0 else { throw ValidationError("--cluster-monitor-grace-period must be a positive number of seconds") }
        guard PurgeMode.all.contains(noExecuteTaintEvictionPurgeMode) else {
            throw ValidationError("--no-execute-taint-eviction-purge-mode must be one of \(PurgeMode.all.joined(separator: ", "))")
        }
        if etcdServers == nil, etcdCafile != nil || etcdCertfile != nil || etcdKeyfile != nil || etcdPrefix != "/registry" {
            throw ValidationError("--etcd-prefix, --etcd-cafile, --etcd-certfile and --etcd-keyfile need --etcd-servers")
        }
        if let etcdServers {
            do { _ = try endpoints(etcdServers) } catch { throw ValidationError(error.description) }
        }
        let problems = election(identity: "x").problems()
        if !problems.isEmpty { throw ValidationError("leader election: " + problems.joined(separator: "; ")) }
    }

    func endpoints(_ servers: String) throws(EtcdEndpoints.ParseError) -> EtcdEndpoints {
        try EtcdEndpoints(servers: servers, prefix: etcdPrefix,
                          tls: EtcdEndpoints.TLSFiles(caFile: etcdCafile, certFile: etcdCertfile, keyFile: etcdKeyfile))
    }

    func election(identity: String) -> LeaderElection.Configuration {
        LeaderElection.Configuration(identity: identity, leaseDuration: leaderElectLeaseDuration.duration,
                                     renewDeadline: leaderElectRenewDeadline.duration, retryPeriod: leaderElectRetryPeriod.duration)
    }

    /// client-go's default: the host name and, so that replicas on one machine differ, the port (a UUID for port 0).
    var defaultIdentity: String {
        let host = ProcessInfo.processInfo.hostName
        return port == 0 ? "\(host)_\(UUID().uuidString.lowercased())" : "\(host)_\(port)"
    }

    func run() async throws {
        let logger = global.logger("flotilla.apiserver")
        let data = try DataDirectory.prepare(URL(fileURLWithPath: dataDir))
        var etcd: EtcdBackend?
        let store: ResourceStore
        if let etcdServers {
            let backend = try await EtcdBackend.connect(try endpoints(etcdServers), logger: global.logger("flotilla.etcd"))
            etcd = backend
            store = ResourceStore(backend: backend)
        } else {
            store = try ResourceStore.sqlite(path: data.storePath)
        }
        var server = APIServer(configuration: ServerConfiguration(host: bind, port: port, tls: !insecureHTTP),
            data: data, store: store, logger: logger)
        try await server.bootstrap()
        if let catalog { try await Self.loadCatalog(catalog, into: StoreObjectClient(store: store), logger: logger) }
        var federation: Federation?
        var mec: MECServices?
        // One informer per kind for the whole process: the federation's controllers and the MEC services share them.
        let informers = SharedInformers(client: StoreObjectClient(store: store), logger: global.logger("flotilla.informers"))
        if !noControllers {
            let controlPlane = StoreObjectClient(store: store)
            let built = Federation(controlPlane: controlPlane, configuration: Federation.Configuration(
                clusterStatus: ClusterStatusConfiguration(interval: .milliseconds(Int64(clusterStatusInterval * 1000)),
                    failureThreshold: .milliseconds(Int64(clusterFailureThreshold * 1000)),
                    // A probe may take as long as the interval or the failure threshold, whichever is longer (3 s at
                    // the most): shorter, a busy control plane's own slowness marks healthy members NotReady.
                    probeTimeout: .milliseconds(Int64(min(3, max(clusterStatusInterval, clusterFailureThreshold)) * 1000)),
                    successThreshold: .milliseconds(Int64(clusterSuccessThreshold * 1000)),
                    agentGracePeriod: .milliseconds(Int64(clusterMonitorGracePeriod * 1000))),
                failover: FailoverConfiguration(evictionRate: evictionRate,
                    gracefulEvictionTimeout: .milliseconds(Int64(gracefulEvictionTimeout * 1000)),
                    defaultPurgeMode: noExecuteTaintEvictionPurgeMode),
                publicURL: port == 0 ? nil : "\(insecureHTTP ? "http" : "https")://\(bind == "0.0.0.0" || bind == "::" ? "127.0.0.1" : bind):\(port)"),
                metrics: SchedulerPrometheus.metrics(registry: server.metrics.registry),
                sync: SyncPrometheus.metrics(registry: server.metrics.registry), informers: informers, logger: logger)
            let services = MECServices(controlPlane: controlPlane, connections: built.connections, accessNetworkURL: accessNetwork,
                                       metrics: MECPrometheus.metrics(registry: server.metrics.registry), logger: global.logger("flotilla.mec"))
            server.extensions = services.extensions
            server.computedResources = built.metricsSource
            federation = built
            mec = services
        }
        // The Open Service Broker API answers on every replica: it only reads and writes catalog objects.
        server.extensions.append(OpenServiceBroker(client: StoreObjectClient(store: store)))
        server.extensions.append(ServiceManagementAPI(client: StoreObjectClient(store: store), logger: global.logger("flotilla.mec")))
        // The access API gateway answers on every replica too: its invokers are Secrets, its data the access network's.
        var gatewayTransport: HTTPTransport?
        var authorities: [any TokenAuthority] = [CatalogBindingTokens(client: StoreObjectClient(store: store))]
        if let accessNetwork {
            let invokers = APIInvokers(client: StoreObjectClient(store: store))
            let transport = HTTPTransport()
            server.extensions.append(AccessAPIGateway(invokers: invokers, accessNetworkURL: accessNetwork, transport: transport,
                                                      scheme: insecureHTTP ? "http" : "https"))
            authorities.append(invokers)
            gatewayTransport = transport
        }
        server.tokenAuthority = TokenAuthorities(authorities)
        let app = try server.makeApplication { port in
            logger.notice("serving", metadata: ["port": "\(port)", "kubeconfig": "\(data.adminKubeconfig.path)"])
            // Written unbuffered: scripts and `flotilla bench apiserver` read the port from this line.
            FileHandle.standardOutput.write(Data("""
                Flotilla API server listening on \(bind):\(port)
                  kubectl --kubeconfig \(data.adminKubeconfig.path) get clusters

                """.utf8))
        }
        // The drainer comes after the app: on SIGINT/SIGTERM it is told first and ends open watches, then the
        // server drains its connections and stops.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app)]
        if let etcd, etcdCompactionInterval.duration > .zero {
            services.append(.init(service: EtcdCompactor(backend: etcd, interval: etcdCompactionInterval.duration, logger: global.logger("flotilla.etcd"))))
        }
        // Every replica serves discovery (the registry); the controllers, mobility and the event TTL run in the leader.
        var controllers: [@Sendable () async -> Void] = []
        if let federation, let mec {
            services.append(.init(service: LongRunner { await cancelWhenGracefulShutdown { await mec.runServing() } }))
            controllers.append { await federation.runControllers() }
            controllers.append { await cancelWhenGracefulShutdown { await mec.runMobility() } }
        }
        if eventTTL > 0 {
            let collector = EventCollector(client: StoreObjectClient(store: store), ttl: .milliseconds(Int64(eventTTL * 1000)),
                                           logger: global.logger("flotilla.event-ttl"))
            controllers.append { await cancelWhenGracefulShutdown { await collector.run() } }
        }
        let runControllers: @Sendable () async -> Void = { [controllers] in
            await withTaskGroup(of: Void.self) { group in
                for controller in controllers { group.addTask { await controller() } }
            }
        }
        if leaderElect, !controllers.isEmpty {
            services.append(.init(service: LeaderElector(client: StoreObjectClient(store: store), configuration: election(identity: identity ?? defaultIdentity),
                                                         logger: global.logger("flotilla.leader-election"), lead: runControllers)))
        } else if !controllers.isEmpty {
            services.append(.init(service: LongRunner(body: runControllers)))
        }
        services.append(.init(service: server.watchDrainer, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                                          logger: logger))
        // The member connections, informers and etcd client close whatever the group ended with.
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        logger.info("services stopped; closing member connections")
        await federation?.shutdown()
        logger.info("member connections closed")
        await informers.stop()
        await gatewayTransport?.shutdown()
        await etcd?.close()
        if let failure {
            logger.error("stopped", metadata: ["error": "\(failure)"])
            throw failure
        }
        logger.notice("stopped")
    }
}

extension ServeCommand {
    /// Creates or updates every ServiceOffering in `path`; anything else in it is refused before anything is written.
    static func loadCatalog(_ path: String, into client: StoreObjectClient, logger: Logger) async throws {
        let documents = try ManifestLoader.load([path])
        for document in documents where document.value.kind != ServiceOffering.descriptor.kind {
            throw ValidationError("\(document.source): --catalog takes ServiceOfferings, not \(document.value.kind ?? "?")")
        }
        for document in documents {
            let offering = document.value
            do {
                try await client.createOrUpdate(ServiceOffering.descriptor, offering)
            } catch {
                throw ValidationError("\(document.source): \(error)")
            }
        }
        logger.notice("catalog loaded", metadata: ["offerings": "\(documents.compactMap(\.value.name).joined(separator: ","))"])
    }
}
