import AccessNetworkSim
import AsyncHTTPClient
import EdgeClusterSim
import FlotillaAPI
import FlotillaAppKit
import FlotillaControllers
import FlotillaMEC
import FlotillaStore
import FlotillaTestSupport
import Foundation
import KubeClient
import Synchronization
import Testing

/// The mobility service against the access network simulator and real `flotilla/counter` instances: a UE rides along
/// a line of three zones, each with its own edge site, while it advances its session's counter every 10 ms.
@Suite(.serialized) struct MobilityEndToEndTests {
    /// simulator/scenarios/three-sites-line.yaml: three 4G cells 1 km apart; each zone's site is 1 ms away, the others
    /// 9 ms; one UE, which the test puts at the west end and sends east at 50 m/s (to the middle, then the east end) through the
    /// simulator's control API.
    static let linePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("simulator/scenarios/three-sites-line.yaml").path

    static let profile = """
        apiVersion: mec.flotilla.io/v1alpha1
        kind: AppProfile
        metadata: {name: counter, namespace: default}
        spec:
          workloads: [{apiVersion: apps/v1, kind: Deployment, name: counter}]
          latencyBudgetMs: 40
          serviceContinuity: true
          sessionsPerReplica: 10
          placement: {replicaDivision: DemandWeighted}
        """

    /// Everything a test needs running: the simulator (paused; the test steps it), three counter instances, an
    /// in-memory control plane, and the mobility service.
    struct Rig {
        let sim: SimulationRunner
        let simTask: Task<Void, any Error>
        let simURL: String
        let client: StoreObjectClient
        let instances: [String: any RunningWorkload]
        let mobility: MobilityService
        let mobilityTask: Task<Void, Never>
        let transport: HTTPTransport
        let callbacks: HTTPClient

        /// Starts a rig, runs `body` with it and stops it, whether `body` returned or threw.
        static func with<T>(_ body: (Rig) async throws -> T) async throws -> T {
            let rig = try await start()
            return try await withCleanup({ try await body(rig) }, cleanup: { await rig.stop() })
        }

        private static func start() async throws -> Rig {
            let scenario = try Scenario.load(path: MobilityEndToEndTests.linePath)
            // Everything that can fail comes before the HTTP clients, which must be shut down once made.
            var instances: [String: any RunningWorkload] = [:]
            for site in ["edge-1", "edge-2", "edge-3"] {
                instances[site] = try await CounterWorkload.start(WorkloadContext(site: site, namespace: "default", pod: "counter-\(site)",
                    image: "flotilla/counter:1"))
            }
            let client = StoreObjectClient(store: ResourceStore.memory())
            _ = try await client.create(Namespace.descriptor, Namespace(name: "default").json())
            let profile = try AppProfile(json: try await client.create(AppProfile.descriptor, try YAMLCodec.decode(MobilityEndToEndTests.profile)))
            let callbacks = HTTPNotificationSender.makeClient()
            let runner = SimulationRunner(network: AccessNetwork(scenario: scenario),
                hub: NotificationHub(sender: HTTPNotificationSender(client: callbacks)), paused: true, epoch: 1_800_000_000)
            await runner.step(seconds: 2)  // attach the UE
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let app = AccessNetworkServer(runner: runner) { continuation.yield($0) }.makeApplication()
            let simTask = Task { try await app.runService() }
            var iterator = ports.makeAsyncIterator()
            let simURL = "http://127.0.0.1:\(await iterator.next() ?? 0)"

            let source = StaticInstances([EdgeApp(profile: profile, instances: instances.map { site, workload in
                EdgeInstance(site: site, endpoint: "127.0.0.1:\(workload.port)", capacity: 10) })])
            let transport = HTTPTransport()
            let mobility = MobilityService(client: client, rtt: AccessNetworkClient(baseURL: simURL, transport: transport), instances: source,
                runner: MigrationRunner(client: client, transport: transport),
                configuration: .init(policy: MobilityPolicy(dwell: .milliseconds(300), holdDown: .milliseconds(500)),
                                     interval: .milliseconds(50), subscriptionsURL: simURL, demandInterval: .milliseconds(100)))
            let mobilityTask = Task { await mobility.run() }
            return Rig(sim: runner, simTask: simTask, simURL: simURL, client: client, instances: instances, mobility: mobility,
                       mobilityTask: mobilityTask, transport: transport, callbacks: callbacks)
        }

        func endpoint(_ site: String) -> String { "127.0.0.1:\(instances[site]!.port)" }

        /// The UE's address, after putting it at the west end; and the site nearest it there.
        func rider() async throws -> (ue: String, site: String) {
            let list = try JSONValue.parse(Array(try await transport.send(.GET, simURL + "/flotilla/v1/ues").body))
            let ue = try #require(list["items"]?.arrayValue?.first?["address"]?.stringValue)
            try await move(ue, x: 100, speed: 0)
            await sim.step(seconds: 2)
            let rtt = try await AccessNetworkClient(baseURL: simURL, transport: transport).rtt(ue: ue)
            let best = try #require(rtt.rttMs.min { $0.value < $1.value }?.key)
            return (ue, best)
        }

        func move(_ ue: String, x: Double, speed: Double) async throws {
            let body: JSONValue = ["x": .double(x), "y": 200, "speed": .double(speed)]
            let reply = try await transport.send(.POST, simURL + "/flotilla/v1/ues/\(ue)/move", body: Data(body.serialized()),
                                                 headers: [("Content-Type", "application/json")])
            #expect(reply.status == 200)
        }

        /// Opens the session at `site` and records it in the API, as discovery does when it assigns a UE.
        func openSession(_ name: String, ue: String, site: String) async throws {
            let opened = try await transport.send(.POST, "http://\(endpoint(site))/sessions/\(name)?paddingBytes=4096")
            #expect(opened.status == 201)
            let created = try await client.create(AppSession.descriptor,
                AppSession(metadata: ObjectMeta(name: name, namespace: "default"), spec: AppSessionSpec(ue: ue, app: "counter")).json())
            var session = try AppSession(json: created)
            session.status = AppSessionStatus(site: site, endpoint: endpoint(site), phase: "Active")
            _ = try await client.updateStatus(AppSession.descriptor, session.json())
        }

        func session(_ name: String) async throws -> AppSession {
            try AppSession(json: try await client.get(AppSession.descriptor, namespace: "default", name: name))
        }

        func migrations() async throws -> [SessionMigration] {
            try await client.list(SessionMigration.descriptor, namespace: "default", options: .everything).items
                .map { try SessionMigration(json: $0) }
                .sorted { ($0.status?.startTime ?? "", $0.metadata.name ?? "") < ($1.status?.startTime ?? "", $1.metadata.name ?? "") }
        }

        func stop() async {
            mobilityTask.cancel()
            await mobilityTask.value
            for workload in instances.values { await workload.stop() }
            sim.hub.closeAllStreams()
            simTask.cancel()
            _ = await simTask.result
            await transport.shutdown()
            try? await callbacks.shutdown()
        }
    }

    /// The UE's side of the session: one tick every 10 ms to wherever the API says the session is, retrying a tick
    /// the instance could not take (frozen or released) until one applies it. Records every answer.
    actor Player {
        var applied: [Int] = []
        /// The endpoint that applied each tick, in order.
        var servedBy: [String] = []
        var gaps = 0
        var duplicates = 0
        var retries = 0
        var seq = 1

        func play(rig: Rig, session: String, until done: @Sendable () async -> Bool) async {
            var endpoint = (try? await rig.session(session).status?.endpoint) ?? ""
            while !(await done()) {
                let reply = try? await rig.transport.send(.POST, "http://\(endpoint)/sessions/\(session)/tick?seq=\(seq)")
                if let reply, reply.status == 200, let body = try? JSONValue.parse(Array(reply.body)) {
                    if body["applied"]?.boolValue == true {
                        applied.append(Int(body["counter"]?.int64Value ?? -1))
                        servedBy.append(endpoint)
                        seq += 1
                    } else {
                        duplicates += 1
                    }
                    try? await Task.sleep(for: .milliseconds(10))
                } else {
                    if let reply, reply.status == 409, reply.headers.first(name: StateTransferProtocol.sessionHeader) == nil { gaps += 1 }
                    retries += 1
                    endpoint = (try? await rig.session(session).status?.endpoint) ?? endpoint
                    try? await Task.sleep(for: .milliseconds(2))
                }
            }
        }
    }

    /// Ticks applied at `endpoint` so far.
    static func ticks(_ player: Player, at endpoint: String) async -> Int { await player.servedBy.filter { $0 == endpoint }.count }

    /// The service hears of its UEs' moves as they happen: for each UE with a session it subscribes at the access
    /// network (MEC 013 user tracking, MEC 012 cell change), and ends both when the UE's last session goes.
    @Test func itSubscribesToEachUEsMovesAtTheAccessNetwork() async throws {
        try await Rig.with { rig in
            let (ue, first) = try await rig.rider()
            try await rig.openSession("rider", ue: ue, site: first)
            try await waitUntil("both subscriptions at the access network", seconds: 10, every: .milliseconds(50)) {
                rig.sim.hub.subscriptions(of: .userTracking).count == 1 && rig.sim.hub.subscriptions(of: .cellChange).count == 1
            }
            let tracked = try #require(rig.sim.hub.subscriptions(of: .userTracking).first?.ues.first)
            #expect(await rig.sim.withNetwork { $0.addresses[tracked] } == ue)
            try await rig.client.delete(AppSession.descriptor, namespace: "default", name: "rider")
            try await waitUntil("both subscriptions ended", seconds: 10, every: .milliseconds(50)) {
                rig.sim.hub.subscriptions(of: .userTracking).isEmpty && rig.sim.hub.subscriptions(of: .cellChange).isEmpty
            }
        }
    }

    @Test func aRiderAcrossThreeSitesIsMigratedTwiceAndLosesNothing() async throws {
        try await Rig.with { rig in
            let (ue, first) = try await rig.rider()
            try await rig.openSession("rider", ue: ue, site: first)
            let player = Player()
            let done = Flag()
            defer { done.set() }  // the player stops even when the test fails early
            let playing = Task { await player.play(rig: rig, session: "rider", until: { done.isSet }) }
            // Ride east at 50 m/s, stopping in the middle zone until the first move is done, then on to the east end:
            // 0.5 s of simulated time every 25 ms (20× real time).
            // Each leg goes on until the UE has arrived (not merely until the move: at a cell edge it may hand back).
            for (x, moves) in [(1500.0, 1), (2900.0, 2)] {
                try await rig.move(ue, x: x, speed: 50)
                // Bounded by the wall clock, not by simulated time: on a busy machine the service may need longer
                // than the ride to act (the UE then waits where it arrived).
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline {
                    let arrived = await rig.sim.withNetwork { abs($0.positions[0].x - x) < 1 }
                    if arrived, try await rig.migrations().filter({ $0.status?.phase == "Completed" }).count >= moves { break }
                    await rig.sim.step(seconds: 0.5)
                    try await Task.sleep(for: .milliseconds(25))
                }
            }
            // The network goes on for a second: the loop may have stopped with the UE mid-handover (a ping-pong at the
            // last cell edge), and a network that never finishes a handover leaves the UE's zone unknown.
            await rig.sim.step(seconds: 1)
            // Keep playing until the final instance has served a few ticks (however slow the machine is).
            let final = try await rig.session("rider").status?.endpoint ?? ""
            try await waitUntil("ticks at the final instance", seconds: 30, every: .milliseconds(20)) { await Self.ticks(player, at: final) >= 5 }
            done.set()
            await playing.value

            let migrations = try await rig.migrations()
            let completed = migrations.filter { $0.status?.phase == "Completed" }
            #expect(first == "edge-1")
            #expect(completed.map { "\($0.spec.sourceSite ?? "")→\($0.spec.targetSite)" } == ["edge-1→edge-2", "edge-2→edge-3"])
            #expect(completed.count == 2, "\(migrations.map { "\($0.spec.sourceSite ?? "")→\($0.spec.targetSite) \($0.status?.phase ?? "") \($0.status?.message ?? "")" })")
            // Each move starts where the previous one ended, and all are recorded with measured timings.
            for (earlier, later) in zip(completed, completed.dropFirst()) { #expect(later.spec.sourceSite == earlier.spec.targetSite) }
            for migration in completed {
                #expect(migration.spec.sourceSite != migration.spec.targetSite)
                #expect((migration.status?.stateBytes ?? 0) > 4096)
                #expect(migration.status?.downtimeMs != nil && migration.status?.transferMs != nil && migration.status?.decisionMs != nil)
                #expect(["BetterSite", "BudgetExceeded", "Predicted"].contains(migration.spec.reason))
            }
            let session = try await rig.session("rider")
            #expect(session.status?.site == completed.last?.spec.targetSite)
            // Where the sessions are is reported as the app's demand, for the scheduler's DemandWeighted division.
            let lastDemand = Mutex<[AreaDemand]?>(nil)
            try await waitUntil("demand in the east", seconds: 10, every: .milliseconds(50)) {
                let profile = try AppProfile(json: try await rig.client.get(AppProfile.descriptor, namespace: "default", name: "counter"))
                lastDemand.withLock { $0 = profile.status?.demand }
                return profile.status?.demand == [AreaDemand(area: "east", ues: 1)]
            }
            #expect(lastDemand.withLock { $0 } == [AreaDemand(area: "east", ues: 1)], "\(String(describing: lastDemand.withLock { $0 }))")
            #expect(session.status?.migrations == completed.count)
            // The counter: every tick applied exactly once, in order — no gap, no repeat.
            let applied = await player.applied
            #expect(applied == Array(1...applied.count))
            // …served by edge-1, then edge-2, then edge-3, each in one stretch.
            var stretches: [String] = []
            for endpoint in await player.servedBy where stretches.last != endpoint { stretches.append(endpoint) }
            #expect(stretches == [rig.endpoint("edge-1"), rig.endpoint("edge-2"), rig.endpoint("edge-3")])
            #expect(await player.gaps == 0)
            // The session lives at exactly one instance; the others released it.
            for (site, workload) in rig.instances {
                let reply = try await rig.transport.send(.GET, "http://127.0.0.1:\(workload.port)\(StateTransferProtocol.sessionPath("rider"))")
                #expect(reply.status == (site == session.status?.site ? 200 : 404), "\(site)")
            }
        }
    }

    /// QoS on demand: a session whose round trip (4G, about 21 ms) is within `withinMs` of its budget gets a low-latency
    /// flow for its UE from the access network's NEF; a new leader takes the flow over instead of asking twice; the
    /// flow goes when the session does.
    @Test func aSessionNearItsBudgetGetsALowLatencyFlowUntilItEnds() async throws {
        try await Rig.with { rig in
            var profile = try AppProfile(json: try await rig.client.get(AppProfile.descriptor, namespace: "default", name: "counter"))
            profile.spec.qosOnDemand = QoSOnDemand(qosReference: "low-latency", withinMs: 25)
            _ = try await rig.client.update(AppProfile.descriptor, profile.json())
            let (ue, first) = try await rig.rider()
            try await rig.openSession("rider", ue: ue, site: first)
            try await waitUntil("the UE holds a low-latency flow", seconds: 10, every: .milliseconds(50)) {
                await rig.sim.withNetwork { $0.hasLowLatency(ue: 0) }
            }
            let scsAsId = QoSOnDemandPolicy.scsAsId(namespace: "default", app: "counter")
            #expect(rig.sim.hub.qos.entries(scsAsId: scsAsId).count == 1)
            try await waitUntil("a QoSRequested event", seconds: 10, every: .milliseconds(50)) {
                try await rig.client.list(Event.descriptor, namespace: "default", options: .everything).items.contains { $0["reason"] == "QoSRequested" }
            }
            // The leader stops; another takes over. It finds the flow at the NEF rather than asking again.
            rig.mobilityTask.cancel()
            await rig.mobilityTask.value
            let successor = MobilityService(client: rig.client, rtt: AccessNetworkClient(baseURL: rig.simURL, transport: rig.transport),
                instances: StaticInstances([EdgeApp(profile: profile, instances: rig.instances.map { site, workload in
                    EdgeInstance(site: site, endpoint: "127.0.0.1:\(workload.port)", capacity: 10) })]),
                runner: MigrationRunner(client: rig.client, transport: rig.transport),
                configuration: .init(interval: .milliseconds(50), subscriptionsURL: rig.simURL, demandInterval: .milliseconds(100)))
            let running = Task { await successor.run() }
            defer { running.cancel() }
            try await Task.sleep(for: .seconds(1))
            #expect(rig.sim.hub.qos.entries(scsAsId: scsAsId).count == 1, "one flow, not two")
            try await rig.client.delete(AppSession.descriptor, namespace: "default", name: "rider")
            try await waitUntil("the flow is given back", seconds: 10, every: .milliseconds(50)) {
                await rig.sim.withNetwork { !$0.hasLowLatency(ue: 0) } && rig.sim.hub.qos.entries(scsAsId: scsAsId).isEmpty
            }
            running.cancel()
            await running.value
        }
    }

    /// DemandWeighted pre-scaling: a UE riding east at 50 m/s still in the west zone already counts in the middle
    /// one (where it will be within the 8 s look-ahead), so the scheduler places capacity there before it arrives;
    /// once it stands still in the east, only the east counts.
    @Test func demandCountsWhereAMovingUEIsHeading() async throws {
        try await Rig.with { rig in
            let (ue, first) = try await rig.rider()
            try await rig.openSession("rider", ue: ue, site: first)
            try await rig.move(ue, x: 700, speed: 0)
            await rig.sim.step(seconds: 1)
            try await waitUntil("demand in the west", seconds: 10, every: .milliseconds(50)) {
                try await Self.demand(rig) == [AreaDemand(area: "west", ues: 1)]
            }
            // 0.2 s at 50 m/s: at x = 710, still served in the west; 8 s ahead it is at x ≈ 1110, in the middle.
            try await rig.move(ue, x: 2900, speed: 50)
            await rig.sim.step(seconds: 0.2)
            let zone = try await AccessNetworkClient(baseURL: rig.simURL, transport: rig.transport).rtt(ue: ue)
            #expect(zone.zone == "west" && abs((zone.motion?.speedMps ?? 0) - 50) < 0.1 && zone.motion?.bearingDegrees == 90, "\(String(describing: zone.motion))")
            try await waitUntil("demand in the west and where it is heading", seconds: 10, every: .milliseconds(50)) {
                try await Self.demand(rig) == [AreaDemand(area: "middle", ues: 1), AreaDemand(area: "west", ues: 1)]
            }
            // It stops at the east end: the west and the middle no longer count.
            try await rig.move(ue, x: 2900, speed: 0)
            await rig.sim.step(seconds: 2)
            try await waitUntil("demand in the east only", seconds: 10, every: .milliseconds(50)) {
                try await Self.demand(rig) == [AreaDemand(area: "east", ues: 1)]
            }
        }
    }

    static func demand(_ rig: Rig) async throws -> [AreaDemand]? {
        try AppProfile(json: try await rig.client.get(AppProfile.descriptor, namespace: "default", name: "counter")).status?.demand
    }

    /// The access network's zone → cluster round trips reach the control plane as a LatencyMatrix (what DemandWeighted
    /// division needs to find each area's nearest cluster); a network that does not answer changes nothing.
    @Test func theAccessNetworksLatencyMatrixIsSynced() async throws {
        try await Rig.with { rig in
            let down = LatencyMatrixSync(client: rig.client, network: AccessNetworkClient(baseURL: "http://127.0.0.1:1", transport: rig.transport))
            #expect(await down.sync() == false)
            #expect(try await rig.client.list(LatencyMatrix.descriptor, namespace: nil, options: .everything).items.isEmpty)
            let sync = LatencyMatrixSync(client: rig.client, network: AccessNetworkClient(baseURL: rig.simURL, transport: rig.transport))
            #expect(await sync.sync())
            let matrix = try LatencyMatrix(json: try await rig.client.get(LatencyMatrix.descriptor, namespace: nil, name: "three-sites-line"))
            let rtt = LatencyMatrix.merged([matrix])
            #expect(Set(rtt.keys) == ["west", "middle", "east"], "\(rtt)")
            #expect((rtt["west"]?["edge-1"] ?? 99) < (rtt["west"]?["edge-2"] ?? 0), "\(rtt)")
            // Again: nothing changed, nothing written.
            let version = try await rig.client.get(LatencyMatrix.descriptor, namespace: nil, name: "three-sites-line").resourceVersion
            #expect(await sync.sync())
            #expect(try await rig.client.get(LatencyMatrix.descriptor, namespace: nil, name: "three-sites-line").resourceVersion == version)
            // The network goes away: the matrix stays.
            #expect(await down.sync() == false)
            #expect(try await rig.client.list(LatencyMatrix.descriptor, namespace: nil, options: .everything).items.count == 1)
        }
    }

    @Test func aTargetThatRefusesTheImportRollsBackAndTheSessionGoesOn() async throws {
        try await Rig.with { rig in
            let (ue, first) = try await rig.rider()
            try await rig.openSession("rider", ue: ue, site: first)
            // Every other instance refuses imports.
            for site in rig.instances.keys where site != first {
                _ = try await rig.transport.send(.POST, "http://\(rig.endpoint(site))/admin/imports?accept=false")
            }
            let player = Player()
            let done = Flag()
            defer { done.set() }  // the player stops even when the test fails early
            let playing = Task { await player.play(rig: rig, session: "rider", until: { done.isSet }) }
            try await rig.move(ue, x: 1500, speed: 50)
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let arrived = await rig.sim.withNetwork { abs($0.positions[0].x - 1500) < 1 }
                if arrived, try await !rig.migrations().filter({ $0.status?.phase == "RolledBack" }).isEmpty { break }
                await rig.sim.step(seconds: 0.5)
                try await Task.sleep(for: .milliseconds(25))
            }
            // The session goes on at the source after the rollback.
            let after = await player.applied.count
            try await waitUntil("ticks after the rollback", seconds: 30, every: .milliseconds(20)) { await player.applied.count >= after + 5 }
            done.set()
            await playing.value

            let migrations = try await rig.migrations()
            let rolledBack = try #require(migrations.first { $0.status?.phase == "RolledBack" })
            #expect(rolledBack.status?.message?.contains("import answered 422") == true, "\(rolledBack.status?.message ?? "")")
            #expect(!migrations.contains { $0.status?.phase == "Completed" })
            let session = try await rig.session("rider")
            #expect(session.status?.site == first)
            #expect(session.status?.phase == "Active")
            let applied = await player.applied
            #expect(applied == Array(1...applied.count))
            #expect(Set(await player.servedBy) == [rig.endpoint(first)])
        }
    }
}

final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
