import ArgumentParser
import FlotillaAPI
import FlotillaServer
import FlotillaStore
import Foundation
import FlotillaControllers
import FlotillaMEC
import Hummingbird
import ServiceLifecycle

/// `flotilla serve`: the Kubernetes-compatible control-plane API on an embedded SQLite store.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the control-plane API server (HTTPS; kubectl and the Python client work against it).",
        discussion: """
            On first start it creates a CA, a serving certificate, tokens and DIR/admin.kubeconfig; later starts reuse \
            them and the stored objects. Stop it with Ctrl-C (SIGINT) or SIGTERM.
              kubectl --kubeconfig DIR/admin.kubeconfig get clusters
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

    @Option(help: "Evictions per second from clusters with untolerated NoExecute taints (a token bucket across all workloads).")
    var evictionRate: Double = 50

    @Option(help: "Seconds a Gracefully evicted copy waits for its replacements to be ready before it is removed anyway.")
    var gracefulEvictionTimeout: Double = 600

    @Option(help: "Purge mode of a cluster eviction when the policy sets no failover.cluster.purgeMode: Directly, Gracefully or Never.")
    var noExecuteTaintEvictionPurgeMode: String = PurgeMode.gracefully

    @Option(help: "Base URL of the access network (MEC 013/012 + Flotilla RTT API, e.g. a `flotilla sim`); enables MEC discovery and mobility.")
    var accessNetwork: String?

    @Option(help: "Seconds an Event is kept after it last happened (kube-apiserver's --event-ttl; 0 keeps them).")
    var eventTTL: Double = 3600

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard eventTTL >= 0 else { throw ValidationError("--event-ttl must be 0 (keep events) or a positive number of seconds") }
        guard evictionRate > 0 else { throw ValidationError("--eviction-rate must be a positive number of evictions per second") }
        guard gracefulEvictionTimeout > 0 else { throw ValidationError("--graceful-eviction-timeout must be a positive number of seconds") }
        guard clusterSuccessThreshold >= 0, clusterFailureThreshold >= 0, clusterStatusInterval > 0 else {
            throw ValidationError("--cluster-status-interval must be positive; the failure and success thresholds must not be negative")
        }
        guard PurgeMode.all.contains(noExecuteTaintEvictionPurgeMode) else {
            throw ValidationError("--no-execute-taint-eviction-purge-mode must be one of \(PurgeMode.all.joined(separator: ", "))")
        }
    }

    func run() async throws {
        let logger = global.logger("flotilla.apiserver")
        let data = try DataDirectory.prepare(URL(fileURLWithPath: dataDir))
        let store = try ResourceStore.sqlite(path: data.storePath)
        var server = APIServer(configuration: ServerConfiguration(host: bind, port: port, tls: !insecureHTTP),
            data: data, store: store, logger: logger)
        try await server.bootstrap()
        var federation: Federation?
        var mec: MECServices?
        if !noControllers {
            let controlPlane = StoreObjectClient(store: store)
            let built = Federation(controlPlane: controlPlane, configuration: Federation.Configuration(
                clusterStatus: ClusterStatusConfiguration(interval: .milliseconds(Int64(clusterStatusInterval * 1000)),
                    failureThreshold: .milliseconds(Int64(clusterFailureThreshold * 1000)),
                    // A probe may take as long as the interval or the failure threshold, whichever is longer (3 s at
                    // the most): shorter, a busy control plane's own slowness marks healthy members NotReady.
                    probeTimeout: .milliseconds(Int64(min(3, max(clusterStatusInterval, clusterFailureThreshold)) * 1000)),
                    successThreshold: .milliseconds(Int64(clusterSuccessThreshold * 1000))),
                failover: FailoverConfiguration(evictionRate: evictionRate,
                    gracefulEvictionTimeout: .milliseconds(Int64(gracefulEvictionTimeout * 1000)),
                    defaultPurgeMode: noExecuteTaintEvictionPurgeMode)),
                metrics: SchedulerPrometheus.metrics(registry: server.metrics.registry), logger: logger)
            let services = MECServices(controlPlane: controlPlane, connections: built.connections, accessNetworkURL: accessNetwork,
                                       metrics: MECPrometheus.metrics(registry: server.metrics.registry), logger: global.logger("flotilla.mec"))
            server.extensions = services.extensions
            federation = built
            mec = services
        }
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
        if let federation, let mec {
            services.append(.init(service: BackgroundService { await federation.run() }))
            services.append(.init(service: BackgroundService { await mec.run() }))
        }
        if eventTTL > 0 {
            let collector = EventCollector(client: StoreObjectClient(store: store), ttl: .milliseconds(Int64(eventTTL * 1000)),
                                           logger: global.logger("flotilla.event-ttl"))
            services.append(.init(service: BackgroundService { await collector.run() }))
        }
        services.append(.init(service: server.watchDrainer, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("stopped")
    }
}

/// Runs a long-lived task (the federation controllers, the MEC services) until graceful shutdown, then cancels it
/// and waits for it to finish.
struct BackgroundService: ServiceLifecycle.Service {
    let body: @Sendable () async -> Void

    func run() async throws {
        let task = Task { await body() }
        try? await gracefulShutdown()
        task.cancel()
        await task.value
    }
}
