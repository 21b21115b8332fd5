import AccessNetworkSim
import ArgumentParser
import FlotillaAPI
import FlotillaGateway
import FlotillaMEC
import KubeClient
import NIOCore

/// How Flotilla's players reach their game server in the demo.
enum DataPathMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Players send to the app's one public address; their operator tunnels it (GTP-U) to the site's edge data
    /// gateway, which forwards each UE's flow to the instance holding its session, per the TrafficRules the mobility
    /// service writes. No player is ever told to move.
    case gateway
    /// Players send to their server's own address and follow a move when that server says the session is frozen or
    /// gone: they ask the control plane where the session is now (the redirect every app had to build before).
    case redirect
}

/// The demo's edge data gateways: one per site of the city, in this process, kept in step with the control plane's
/// TrafficRules by one watcher. Forwarding between sites pays half the round trip the city's backhaul gives from the
/// gateway's zone to the other site, each way.
struct DemoDataPath: Sendable {
    let gateways: [Int: EdgeDataGateway]
    let addresses: [Int: SocketAddress]
    let watcher: Task<Void, Never>
    /// The app's public address.
    let address: UInt32
    let port: UInt16

    static func start(environment: DemoEnvironment, dataPath: AppDataPath, holdAlignment: Duration) async throws -> DemoDataPath {
        let (clusters, oneWay) = await environment.runner.withNetwork { network in
            let sites = network.topology.sites
            var oneWay: [String: [String: Double]] = [:]
            for from in sites {
                let zone = from.localZones.first.flatMap(network.topology.zoneIndex(named:))
                for to in sites where to.cluster != from.cluster {
                    let rtt = zone.flatMap { to.backhaulMs(zone: $0, operator: 0) } ?? 12
                    oneWay[from.cluster, default: [:]][to.cluster] = rtt / 2
                }
            }
            return (sites.map(\.cluster), oneWay)
        }
        var gateways: [Int: EdgeDataGateway] = [:]
        var addresses: [Int: SocketAddress] = [:]
        for (index, cluster) in clusters.enumerated() {
            let delays = oneWay[cluster] ?? [:]
            let gateway = try await EdgeDataGateway.start(.init(site: cluster, oneWayMs: { delays[$0] ?? 6 }, limits: .init(holdAlignment: holdAlignment)), metrics: GatewayMetrics(site: cluster))
            gateways[index] = gateway
            addresses[index] = try SocketAddress(ipAddress: "127.0.0.1", port: gateway.port)
        }
        let registry = environment.mec.registry
        let watcher = TrafficRuleWatcher(client: environment.controlPlane, gateways: Array(gateways.values),
                                         instances: { namespace, app in
                                             await registry.app(namespace: namespace, name: app).map { Set($0.instances.map(\.endpoint)) }
                                         })
        let task = Task<Void, Never> { try? await watcher.run() }
        return DemoDataPath(gateways: gateways, addresses: addresses, watcher: task, address: IPv4.parse(dataPath.address) ?? 0,
                            port: UInt16(dataPath.port))
    }

    /// The flow a UE's game traffic is, from its address (port 40000) to the app's public address.
    func flow(ue address: String) -> FlowKey {
        FlowKey(srcAddress: IPv4.parse(address) ?? 0, srcPort: 40000, dstAddress: self.address, dstPort: port)
    }

    var counters: EdgeDataGateway.Counters {
        gateways.values.map(\.counters).reduce(into: EdgeDataGateway.Counters()) { sum, c in
            sum.uplink += c.uplink
            sum.downlink += c.downlink
            sum.held += c.held
            sum.dropped += c.dropped
            sum.passedThrough += c.passedThrough
            sum.flows += c.flows
            sum.holdsAfterPacket += c.holdsAfterPacket
            sum.holdsAtBound += c.holdsAtBound
        }
    }

    func stop() async {
        watcher.cancel()
        await watcher.value
        for gateway in gateways.values { await gateway.stop() }
    }
}
