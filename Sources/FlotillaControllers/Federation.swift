import FlotillaAPI
import FlotillaRuntime
import FlotillaScheduler
import KubeClient
import Logging
import ServiceLifecycle

/// Everything that turns templates and policies into workloads on members, in one place: cluster status,
/// detector, scheduling loop, binding (Works and status aggregation), execution, cluster taint policies, failover
/// (taint manager, application failover, graceful eviction), workload rebalancing, service routing and the catalog. `run()` runs them all until
/// the task is cancelled. The controllers talk to the control plane only through `controlPlane` (an
/// `ObjectClient`), so they run the same in the API server's process or beside it.
public struct Federation: Sendable {
    public struct Configuration: Sendable {
        public var clusterStatus: ClusterStatusConfiguration
        public var memberPolicy: ClientPolicy
        public var failover: FailoverConfiguration
        /// The control plane's address as apps reach it (`https://HOST:PORT`), for the discovery URLs in catalog
        /// binding Secrets; without it they hold the path alone.
        public var publicURL: String?

        public init(clusterStatus: ClusterStatusConfiguration = .init(), memberPolicy: ClientPolicy = ClientPolicy(),
                    failover: FailoverConfiguration = .init(), publicURL: String? = nil) {
            self.clusterStatus = clusterStatus
            self.memberPolicy = memberPolicy
            self.failover = failover
            self.publicURL = publicURL
        }
    }

    public let controlPlane: any ObjectClient
    public let configuration: Configuration
    public let connections: ClusterConnections
    /// The members' metrics.k8s.io, gathered when asked: what the control plane's API serves for `kubectl top`.
    public var metricsSource: MemberMetrics { MemberMetrics(controlPlane: controlPlane, connections: connections, logger: logger) }
    public let informers: SharedInformers
    let ownsInformers: Bool
    let clock: any TimeSource
    let logger: Logger
    let metrics: SchedulingMetrics?
    let sync: SyncMetrics

    /// `informers`: the process's shared informers (one watch per kind, shared with the MEC services); without them
    /// the federation makes its own.
    public init(controlPlane: any ObjectClient, configuration: Configuration = Configuration(), clock: any TimeSource = SystemTimeSource(),
                metrics: SchedulingMetrics? = nil, sync: SyncMetrics = .none, informers: SharedInformers? = nil,
                logger: Logger = Logger(label: "flotilla.federation")) {
        self.sync = sync
        self.controlPlane = controlPlane
        self.configuration = configuration
        self.ownsInformers = informers == nil
        let informers = informers ?? SharedInformers(client: controlPlane, logger: logger)
        self.informers = informers
        self.connections = ClusterConnections(controlPlane: controlPlane, informers: informers, policy: configuration.memberPolicy)
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
    }

    /// Runs the controllers until cancelled, then closes the member connections.
    public func run() async {
        await runControllers()
        await shutdown()
    }

    /// Runs the controllers until cancelled; the member connections stay open (others share them, and a replica
    /// that leads again runs the controllers again). `shutdown()` closes them.
    public func runControllers() async {
        let status = ClusterStatusController(controlPlane: controlPlane, connections: connections,
            configuration: configuration.clusterStatus, clock: clock, metrics: sync, logger: logger)
        // Both read every Work: one typed copy of each serves them.
        let decodedWorks = SharedDecoded<Work>()
        let execution = ExecutionController(client: controlPlane, connections: connections, clock: clock, metrics: sync,
                                            decodedWorks: decodedWorks, logger: logger)
        let routing = ServiceRoutingController(client: controlPlane, connections: connections, clock: clock, logger: logger)
        let loops = [
            Detector(client: controlPlane, clock: clock, logger: logger).loop(informers: informers),
            SchedulingController(client: controlPlane, clock: clock, metrics: metrics, logger: logger).loop(informers: informers),
            BindingController(client: controlPlane, clock: clock, decodedWorks: decodedWorks, logger: logger).loop(informers: informers),
            DependenciesDistributor(client: controlPlane, clock: clock, logger: logger).loop(informers: informers),
            await execution.loop(informers: informers),
            ClusterTaintPolicyController(client: controlPlane, clock: clock, logger: logger).loop(informers: informers),
            FailoverController(client: controlPlane, configuration: configuration.failover, clock: clock, logger: logger).loop(informers: informers),
            WorkloadRebalancerController(client: controlPlane, clock: clock, logger: logger).loop(informers: informers),
            FederatedHPAController(client: controlPlane, connections: connections, clock: clock, logger: logger).loop(informers: informers),
            CronFederatedHPAController(client: controlPlane, clock: clock, logger: logger).loop(informers: informers),
            VerticalPodAutoscalerController(client: controlPlane, connections: connections, clock: clock, logger: logger).loop(informers: informers),
            await routing.loop(informers: informers),
            CatalogController(client: controlPlane, publicURL: configuration.publicURL, clock: clock, logger: logger).loop(informers: informers),
        ]
        await withTaskGroup(of: Void.self) { group in
            // The loops stop gracefully (the pass under way finishes); cluster status has no pass to finish.
            group.addTask { await cancelWhenGracefulShutdown { await status.run() } }
            for loop in loops { group.addTask { await loop.run() } }
            await group.waitForAll()
        }
        await execution.stop()
        await routing.stop()
    }

    /// Closes the member connections, and stops the informers when they are the federation's own (after the last
    /// `runControllers`).
    public func shutdown() async {
        await connections.shutdown()
        if ownsInformers { await informers.stop() }
    }
}
