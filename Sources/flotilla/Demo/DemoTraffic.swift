import AccessNetworkSim
import FlotillaAPI
import FlotillaAppKit
import FlotillaMEC
import Foundation
import KubeClient
import MobileGame
import NIOCore
import Synchronization

/// How a player's game server is chosen: the two baselines users would get without Flotilla, and Flotilla.
enum Strategy: Int, CaseIterable, Sendable {
    /// Every player on the central cloud site.
    case cloud = 0
    /// The site nearest the player when it starts, kept for the whole game.
    case staticNearest = 1
    /// Discovery picks the site, the mobility service moves the session as the player moves.
    case flotilla = 2

    var title: String {
        switch self {
        case .cloud: "cloud only"
        case .staticNearest: "static nearest site"
        case .flotilla: "Flotilla (discovery + mobility)"
        }
    }

    var key: String {
        switch self {
        case .cloud: "cloud"
        case .staticNearest: "static"
        case .flotilla: "flotilla"
        }
    }

    /// The strategy's own game servers (manifests/mobile-game): loads do not mix between strategies.
    var app: String {
        switch self {
        case .cloud: "mobile-game-cloud"
        case .staticNearest: "mobile-game-static"
        case .flotilla: "mobile-game"
        }
    }

    /// Each UE plays once per strategy, as session `ue × 4 + strategy` (also the AppSession's name for Flotilla's).
    func session(ue: Int) -> UInt32 { UInt32(ue * 4 + rawValue) }
    static func of(session: UInt32) -> (ue: Int, strategy: Strategy) { (Int(session / 4), Strategy(rawValue: Int(session % 4)) ?? .cloud) }
}

/// Where each session's traffic goes now: the gateway's forwarding table. Flotilla's entries follow the AppSessions
/// (the mobility service's redirects); the baselines' never change.
final class RoutingTable: Sendable {
    struct Entry: Sendable {
        var site: Int
        var cluster: String
        var endpoint: String
        var address: SocketAddress
    }

    private let entries = Mutex<[UInt32: Entry]>([:])
    private let moves = Mutex(0)

    func set(_ session: UInt32, _ entry: Entry) {
        let previous = entries.withLock { table in
            defer { table[session] = entry }
            return table[session]
        }
        if let previous, previous.endpoint != entry.endpoint { moves.withLock { $0 += 1 } }
    }

    func entry(_ session: UInt32) -> Entry? { entries.withLock { $0[session] } }
    var redirects: Int { moves.withLock { $0 } }

    /// The sessions at each cluster now, per strategy.
    func occupancy() -> [Strategy: [String: Int]] {
        entries.withLock { table in
            var result: [Strategy: [String: Int]] = [:]
            for (session, entry) in table { result[Strategy.of(session: session).strategy, default: [:]][entry.cluster, default: 0] += 1 }
            return result
        }
    }
}

/// The players' side of the demo: the operator gateways on the data path (and, with `--data-path gateway`, the sites'
/// edge data gateways), the routing table, one `GamePlayer` per UE and strategy.
struct DemoTraffic {
    let gateways: [AccessGateway]
    let dataPath: DemoDataPath?
    let paths: DemoPaths
    let routes: RoutingTable
    let fleet: PlayerFleet
    let sessions: [UInt32]
    let follow: Task<Void, Never>
    let refresh: Task<Void, Never>

    /// Sets up `ues` to play with every strategy. `siteIndex` maps cluster names to the network's site indices.
    static func start(environment: DemoEnvironment, ues: [Int], operatorOf: [Int: Int], operators: Int, siteIndex: [String: Int],
                      mode: DataPathMode, holdAlignment: Duration = .milliseconds(50), log: (String) -> Void) async throws -> DemoTraffic {
        let runner = environment.runner
        var started: DemoDataPath?
        if mode == .gateway {
            guard let spec = await environment.mec.registry.app(namespace: "default", name: Strategy.flotilla.app)?.profile.spec.dataPath else {
                throw DemoError("--data-path gateway needs spec.dataPath on the AppProfile \(Strategy.flotilla.app)")
            }
            started = try await DemoDataPath.start(environment: environment, dataPath: spec, holdAlignment: holdAlignment)
            log("edge data gateways: one per site, steering \(spec.address):\(spec.port) per the sessions' TrafficRules")
        }
        let dataPath = started
        let ueAddresses = await runner.withNetwork { network in Dictionary(uniqueKeysWithValues: ues.map { ($0, network.addresses[$0]) }) }
        let flows = Dictionary(uniqueKeysWithValues: ues.compactMap { ue in dataPath.map { (ue, $0.flow(ue: ueAddresses[ue] ?? "")) } })
        let routes = RoutingTable()
        let paths = DemoPaths()
        paths.set(await runner.withNetwork { paths.refresh(from: $0, ues: ues) })
        let refresh = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
                paths.set(await runner.withNetwork { paths.refresh(from: $0, ues: ues) })
            }
        }
        // The data path: per datagram, the UE's round trip to the session's site as the model gives it now.
        let route: @Sendable (UInt32) -> AccessGateway.Route = { session in
            let (ue, strategy) = Strategy.of(session: session)
            guard let entry = routes.entry(session) else { return .unreachable }
            let sample = paths.sample(ue: ue, site: entry.site, lowLatency: strategy == .flotilla)
            if let rtt = sample.rttMs {
                // Flotilla's players send to the app's address: the operator tunnels it to the data gateway of the site
                // the session is at (3GPP traffic influence), whose rule picks the instance.
                if strategy == .flotilla, let dataPath, let gateway = dataPath.addresses[entry.site], let flow = flows[ue] {
                    return .tunnel(gateway, rttMs: rtt, flow: flow, teid: session)
                }
                return .deliver(entry.address, rttMs: rtt)
            }
            return sample.inHandover ? .hold : .unreachable
        }
        var gateways: [AccessGateway] = []
        for _ in 0..<operators { gateways.append(try await AccessGateway.start(route: route)) }

        var pools: [Strategy: EdgeApp] = [:]
        for strategy in Strategy.allCases {
            guard let app = await environment.mec.registry.app(namespace: "default", name: strategy.app) else {
                throw DemoError("the AppProfile \(strategy.app) is missing")
            }
            pools[strategy] = app
        }
        var load: [String: Int] = [:]
        func open(_ session: UInt32, on instance: EdgeInstance) async throws {
            let reply = try await environment.callbacks.send(.POST, "http://\(instance.endpoint)/sessions/\(session)")
            guard reply.status == 201 else { throw DemoError("game server \(instance.endpoint) refused player \(session): \(reply.status)") }
            load[instance.endpoint, default: 0] += 1
            routes.set(session, RoutingTable.Entry(site: siteIndex[instance.site] ?? 0, cluster: instance.site, endpoint: instance.endpoint,
                                                   address: try Self.socket(instance.endpoint)))
        }
        // A server can go between the rollout and a player's first session (a scale-down still settling: the
        // registry counted it ready a moment before its pod was deleted). A connection it refuses is a server gone:
        // read the pools again and pick anew, for up to 2 s.
        func retryingGone(_ body: () async throws -> Void) async throws {
            let deadline = ContinuousClock.now + .seconds(2)
            while true {
                do {
                    return try await body()
                } catch let error as MECError where !error.mayHaveArrived && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                    for strategy in Strategy.allCases {
                        if let app = await environment.mec.registry.app(namespace: "default", name: strategy.app) { pools[strategy] = app }
                    }
                }
            }
        }
        func leastLoaded(_ candidates: [EdgeInstance]) -> EdgeInstance? {
            candidates.filter { $0.ready && load[$0.endpoint, default: 0] < $0.capacity ?? .max }
                .min { (load[$0.endpoint] ?? 0, $0.endpoint) < (load[$1.endpoint] ?? 0, $1.endpoint) }
        }
        let rtt = SimulatedRTT(runner: runner)
        // With `redirect`, a Flotilla player whose server says "frozen" or "gone" asks the control plane where its session
        // is now, and its traffic goes there from then on; with `gateway` nobody asks (the routes follow the sessions
        // for the operators' steering only).
        let api = environment.api
        let fleet = PlayerFleet(resolve: { session in
            guard mode == .redirect, Strategy.of(session: session).strategy == .flotilla,
                  let object = try? await api.get(AppSession.descriptor, namespace: "default", name: String(session)),
                  let stored = try? AppSession(json: object), let endpoint = stored.status?.endpoint, let cluster = stored.status?.site,
                  let socket = try? Self.socket(endpoint), routes.entry(session)?.endpoint != endpoint else { return nil }
            routes.set(session, RoutingTable.Entry(site: siteIndex[cluster] ?? 0, cluster: cluster, endpoint: endpoint, address: socket))
            return nil
        })
        var sessions: [UInt32] = []
        var skipped: [String] = []
        for ue in ues {
            let address = await runner.withNetwork { $0.addresses[ue] }
            // A UE with no coverage now cannot start a game with any strategy: it sits this one out.
            var observed = try await rtt.rtt(ue: address)
            let attach = ContinuousClock.now
            while observed.rttMs.isEmpty, ContinuousClock.now - attach < .seconds(2) {
                try await Task.sleep(for: .milliseconds(100))
                observed = try await rtt.rtt(ue: address)
            }
            guard !observed.rttMs.isEmpty else {
                skipped.append(address)
                continue
            }
            // Cloud only: the least loaded cloud server with room.
            try await retryingGone {
                guard let cloud = leastLoaded(pools[.cloud]!.instances) else { throw DemoError("no cloud game server has room for UE \(address)") }
                try await open(Strategy.cloud.session(ue: ue), on: cloud)
            }
            // The best static server now (nearest, unless nearly full), for good.
            try await retryingGone {
                let ranked = EdgeRanking.rank(pools[.staticNearest]!.instances.map { var i = $0; i.load = load[$0.endpoint] ?? 0; return i },
                                              rttMs: observed.rttMs, budgetMs: pools[.flotilla]!.profile.spec.latencyBudgetMs, limit: 1).ranked
                guard let nearest = ranked.first?.instance else { throw DemoError("no static game server in reach of UE \(address) has room") }
                try await open(Strategy.staticNearest.session(ue: ue), on: nearest)
            }
            // Flotilla: the UE asks discovery over the API, which records its AppSession. Discovery may name a server
            // that is going (as above): the AppSession it recorded is deleted, and the UE asks again.
            let session = Strategy.flotilla.session(ue: ue)
            let attempts = Mutex(0)
            try await retryingGone {
                if attempts.withLock({ count in count += 1; return count }) > 1 { try await Self.forget(session, api: environment.api) }
                let assigned = try await Self.discover(api: environment.api, ue: address, session: session)
                guard let endpoint = assigned["status"]?["endpoint"]?.stringValue, let site = assigned["status"]?["site"]?.stringValue else {
                    throw DemoError("discovery gave UE \(address) no endpoint")
                }
                try await open(session, on: EdgeInstance(site: site, endpoint: endpoint))
            }
            // The UE's radio leg to its operator's gateway is the gateway's modelled delay, in this process; from the
            // gateway on, every hop is a real datagram.
            let gateway = gateways[operatorOf[ue] ?? 0]
            for strategy in Strategy.allCases {
                let id = strategy.session(ue: ue)
                fleet.add(session: id, gateway: gateway, seed: UInt64(id) + 1)
                sessions.append(id)
            }
        }
        if !skipped.isEmpty { log("no coverage at the start, not playing: \(skipped.joined(separator: ", "))") }
        log("players: \(sessions.count / 3) UEs × 3 strategies = \(sessions.count) game sessions; \(gateways.count) operator gateways")
        // With `gateway`, the operators steer each Flotilla session's flow to the data gateway of the site its
        // TrafficRule names (3GPP's AF influence on traffic routing, the rule's site as the DNAI): they follow the rule
        // as it switches to the target at the target's resume, in step with the gateways. Datagrams already at the old
        // site's gateway (held during the freeze) go on from there to the target.
        let client = environment.controlPlane
        let follow = Task {
            guard mode == .gateway else { return }
            let informer = Informer(client: client, resource: TrafficRule.descriptor, logger: .init(label: "flotilla.demo"))
            await informer.run { event in
                let objects: [JSONValue] = switch event {
                case .synced(let items): items
                case .added(let item), .modified(let item): [item]
                case .deleted: []
                }
                for object in objects {
                    guard let rule = try? TrafficRule(json: object), rule.spec.action == "FORWARD_DECAPSULATED",
                          let name = rule.metadata.name, let id = UInt32(name), Strategy.of(session: id).strategy == .flotilla,
                          let cluster = rule.spec.site, let host = rule.spec.dstInterface?.dstIpAddress, let port = rule.spec.dstInterface?.dstPort,
                          let socket = try? SocketAddress(ipAddress: host, port: port) else { continue }
                    let endpoint = "\(host):\(port)"
                    if routes.entry(id)?.endpoint != endpoint {
                        routes.set(id, RoutingTable.Entry(site: siteIndex[cluster] ?? 0, cluster: cluster, endpoint: endpoint, address: socket))
                    }
                }
            }
        }
        try await fleet.play()
        return DemoTraffic(gateways: gateways, dataPath: dataPath, paths: paths, routes: routes, fleet: fleet, sessions: sessions, follow: follow, refresh: refresh)
    }

    /// Deletes a session's AppSession and waits until it is gone, so that discovery can record it anew.
    static func forget(_ session: UInt32, api: KubeClient) async throws {
        do {
            try await api.delete(AppSession.descriptor, namespace: "default", name: String(session))
        } catch {
            guard error.reason == .notFound else { throw error }
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            do {
                _ = try await api.get(AppSession.descriptor, namespace: "default", name: String(session))
            } catch {
                guard error.reason == .notFound else { throw error }
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw DemoError("AppSession \(session) was not deleted within 5 s")
    }

    /// Asks discovery for a session's endpoint. Discovery answers 503 when the access network did not answer in time
    /// (a busy laptop running everything at once): the UE asks again, as a real client would, a few times.
    static func discover(api: KubeClient, ue: String, session: UInt32) async throws(APIError) -> JSONValue {
        let path = "/mec/discovery/v1/namespaces/default/apps/mobile-game/sessions"
        var attempt = 1
        while true {
            do {
                return try await api.post(path, ["ue": .string(ue), "name": .string(String(session))])
            } catch {
                guard error.reason == .serviceUnavailable, attempt < 5 else { throw error }
            }
            try? await Task.sleep(for: .milliseconds(200 * attempt))
            attempt += 1
        }
    }

    /// `host:port` as a socket address.
    static func socket(_ endpoint: String) throws -> SocketAddress {
        let parts = endpoint.split(separator: ":")
        return try SocketAddress(ipAddress: String(parts.first ?? ""), port: Int(parts.last ?? "") ?? 0)
    }

    /// Stops every player (after letting each deliver what it sent) and returns their reports by session, and the
    /// sessions whose state is gone: state that went backwards, or no game server holding the session where its
    /// traffic goes (asked over the state-transfer protocol, so a slow server is not mistaken for a lost one).
    /// `why`: what the demo saw of each lost session.
    func stop(transport: HTTPTransport) async -> (reports: [UInt32: PlayerFleet.Report], lost: Set<UInt32>, why: [UInt32: String]) {
        _ = await fleet.drain(timeout: .seconds(10))
        let reports = await fleet.stop()
        var why: [UInt32: String] = [:]
        for (session, report) in reports {
            let progress = "\(report.acknowledged) of \(report.sent) inputs acknowledged"
            if report.regressions > 0 {
                why[session] = "\(report.regressions) acknowledgements knew less than an earlier one (state went back); \(progress)"
            } else if report.homeless || report.acknowledged < report.sent {
                guard let endpoint = routes.entry(session)?.endpoint else { why[session] = "no route; \(progress)"; continue }
                let held = try? await transport.send(.GET, "http://\(endpoint)\(StateTransferProtocol.sessionPath(String(session)))")
                if held?.status != 200 {
                    why[session] = "\(endpoint) does not hold it (\(held.map { "HTTP \($0.status)" } ?? "no answer"))\(report.homeless ? ", told it is not there" : ""); \(progress)"
                }
            }
        }
        let lost = Set(why.keys)
        refresh.cancel()
        await refresh.value
        follow.cancel()
        await follow.value
        for gateway in gateways { await gateway.stop() }
        await dataPath?.stop()
        return (reports, lost, why)
    }
}
