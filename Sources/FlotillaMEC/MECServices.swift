import FlotillaAPI
import FlotillaAPIExtension
import FlotillaRuntime
import KubeClient
import Logging

/// The MEC services of one control plane, wired together: the service registry (member endpoints), discovery (an
/// `APIExtension` the API server mounts under /mec/discovery/v1/), the live dashboard (under /dashboard) and, given an
/// access network, the mobility service and the access network's latency matrix (`LatencyMatrixSync`).
public struct MECServices: Sendable {
    public let registry: ServiceRegistry
    public let discoveryAPI: DiscoveryAPI
    public let dashboardAPI: DashboardAPI
    public let trafficRulesAPI: TrafficRulesAPI
    public let mobility: MobilityService
    let latencyMatrix: LatencyMatrixSync?
    let transport: HTTPTransport

    /// `accessNetworkURL`: the base URL of a MEC 013/012 location service with Flotilla's RTT extension (the access
    /// network simulator); without one, discovery answers 503 and sessions never move.
    public init(controlPlane: any ObjectClient, connections: ClusterConnections, accessNetworkURL: String?,
                mobility configuration: MobilityService.Configuration = .init(), metrics: MigrationMetrics? = nil,
                logger: Logger = Logger(label: "flotilla.mec")) {
        let transport = HTTPTransport()
        let registry = ServiceRegistry(controlPlane: controlPlane, connections: connections, logger: logger)
        let informers = registry.informers
        let network = accessNetworkURL.map { AccessNetworkClient(baseURL: $0, transport: transport) }
        let rtt: any SiteRTTSource = network ?? NoAccessNetwork()
        var configuration = configuration
        configuration.subscriptionsURL = accessNetworkURL
        self.transport = transport
        self.registry = registry
        let mobility = MobilityService(client: controlPlane, rtt: rtt, instances: registry,
            runner: MigrationRunner(client: controlPlane, transport: transport, metrics: metrics, logger: logger),
            configuration: configuration, informers: informers, logger: logger)
        self.mobility = mobility
        self.discoveryAPI = DiscoveryAPI(discovery: Discovery(client: controlPlane, instances: registry, rtt: rtt),
                                         reportLost: { namespace, name in await mobility.report(namespace: namespace, name: name) })
        self.trafficRulesAPI = TrafficRulesAPI(client: controlPlane, instances: registry)
        self.dashboardAPI = DashboardAPI(source: DashboardSource(client: controlPlane, network: network))
        self.latencyMatrix = network.map { LatencyMatrixSync(client: controlPlane, network: $0, logger: logger) }
    }

    /// The API extensions to mount on the control plane's server.
    public var extensions: [any APIExtension] { [discoveryAPI, dashboardAPI, trafficRulesAPI] }

    /// Runs the registry and the mobility service until cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await registry.run() }
            group.addTask { await runMobility() }
        }
        await transport.shutdown()
    }

    /// What every replica runs, leader or not, until cancelled: the registry discovery answers from.
    public func runServing() async {
        await registry.run()
        await transport.shutdown()
    }

    /// What only the leader runs: the mobility service (it moves sessions; two would move one session twice) and the
    /// latency matrix's sync.
    public func runMobility() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await mobility.run() }
            if let latencyMatrix { group.addTask { await latencyMatrix.run() } }
            await group.next()
            group.cancelAll()
        }
    }
}

/// The RTT source when no access network is configured.
struct NoAccessNetwork: SiteRTTSource {
    func rtt(ue: String) async throws(MECError) -> UESiteRTT { throw Self.error }
    func rtt(at location: DiscoveryLocation) async throws(MECError) -> UESiteRTT { throw Self.error }
    static let error = MECError(.unavailable, "no access network is configured (flotilla serve --access-network URL)")
}
