import EdgeClusterSim
import FlotillaAPI
import FlotillaAppKit
import FlotillaControllers
import FlotillaMEC
import FlotillaStore
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// What goes wrong around a migration: duplicate notifications, a source that dies, an access network that is down.
@Suite struct MigrationFaultTests {
    /// RTTs the test sets per UE.
    actor TableRTT: SiteRTTSource {
        var table: [String: [String: Double]] = [:]
        func set(_ ue: String, _ rtt: [String: Double]) { table[ue] = rtt }
        func rtt(ue: String) throws(MECError) -> UESiteRTT {
            guard let rtt = table[ue] else { throw MECError(.notFound, "unknown UE \(ue)") }
            return UESiteRTT(ue: ue, rttMs: rtt)
        }
        func rtt(at location: DiscoveryLocation) throws(MECError) -> UESiteRTT { throw MECError(.badRequest, "no places") }
    }

    static let profile = AppProfile(metadata: ObjectMeta(name: "counter", namespace: "default"),
        spec: AppProfileSpec(workloads: [ResourceSelector(apiVersion: "apps/v1", kind: "Deployment", name: "counter")], latencyBudgetMs: 30))
    static let ue = "10.0.0.9"

    /// Two counter instances, session s1 at the first, and a mobility service that acts on notifications only.
    struct Rig {
        let a: any RunningWorkload
        let b: any RunningWorkload
        let client: StoreObjectClient
        let rtt: TableRTT
        let transport: HTTPTransport
        let mobility: MobilityService
        let task: Task<Void, Never>

        /// Starts a rig, runs `body` with it and stops it, whether `body` returned or threw.
        static func with<T>(_ body: (Rig) async throws -> T) async throws -> T {
            let rig = try await start()
            return try await withCleanup({ try await body(rig) }, cleanup: { await rig.stop() })
        }

        private static func start() async throws -> Rig {
            let a = try await CounterWorkload.start(WorkloadContext(site: "edge-a", namespace: "default", pod: "a", image: "flotilla/counter:1"))
            let b: any RunningWorkload
            do {
                b = try await CounterWorkload.start(WorkloadContext(site: "edge-b", namespace: "default", pod: "b", image: "flotilla/counter:1"))
            } catch {
                await a.stop()
                throw error
            }
            let client = StoreObjectClient(store: ResourceStore.memory())
            let instances = StaticInstances([EdgeApp(profile: MigrationFaultTests.profile, instances: [
                EdgeInstance(site: "edge-a", endpoint: "127.0.0.1:\(a.port)"), EdgeInstance(site: "edge-b", endpoint: "127.0.0.1:\(b.port)")])])
            let rtt = TableRTT()
            let transport = HTTPTransport()
            let mobility = MobilityService(client: client, rtt: rtt, instances: instances,
                runner: MigrationRunner(client: client, transport: transport),
                configuration: .init(policy: MobilityPolicy(budgetGrace: .zero), interval: .seconds(3600), demandInterval: .seconds(3600)))
            let task = Task { await mobility.run() }
            let rig = Rig(a: a, b: b, client: client, rtt: rtt, transport: transport, mobility: mobility, task: task)
            do {
                try await rig.openSession()
            } catch {
                await rig.stop()
                throw error
            }
            return rig
        }

        /// Session s1 at edge-a, followed by the mobility service.
        private func openSession() async throws {
            _ = try await client.create(Namespace.descriptor, Namespace(name: "default").json())
            _ = try await client.create(AppProfile.descriptor, MigrationFaultTests.profile.json())
            await rtt.set(MigrationFaultTests.ue, ["edge-a": 10, "edge-b": 20])
            _ = try await transport.send(.POST, "http://127.0.0.1:\(a.port)/sessions/s1?paddingBytes=1000")
            var session = try AppSession(json: try await client.create(AppSession.descriptor,
                AppSession(metadata: ObjectMeta(name: "s1", namespace: "default"), spec: AppSessionSpec(ue: MigrationFaultTests.ue, app: "counter")).json()))
            session.status = AppSessionStatus(site: "edge-a", endpoint: "127.0.0.1:\(a.port)", phase: "Active")
            _ = try await client.updateStatus(AppSession.descriptor, session.json())
            try await waitUntil("the service follows s1", seconds: 10, every: .milliseconds(10)) {
                await mobility.follows(namespace: "default", name: "s1")
            }
        }

        /// The migrations that reached a final phase, once there is one.
        func finished() async throws -> [SessionMigration] {
            var done: [SessionMigration] = []
            try await waitUntil("a finished migration", seconds: 10, every: .milliseconds(10)) {
                done = try await client.list(SessionMigration.descriptor, namespace: "default", options: .everything).items
                    .compactMap { try? SessionMigration(json: $0) }
                    .filter { ["Completed", "RolledBack", "Failed"].contains($0.status?.phase ?? "") }
                return !done.isEmpty
            }
            return done
        }

        func session() async throws -> AppSession {
            try AppSession(json: try await client.get(AppSession.descriptor, namespace: "default", name: "s1"))
        }

        func stop() async {
            task.cancel()
            await task.value
            await a.stop()
            await b.stop()
            await transport.shutdown()
        }
    }

    @Test func duplicateAndLateNotificationsMoveTheSessionOnce() async throws {
        try await Rig.with { rig in
            await rig.rtt.set(Self.ue, ["edge-a": 45, "edge-b": 12])
            // The same notification five times at once, then twice more after the move.
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<5 { group.addTask { await rig.mobility.notify(ue: Self.ue) } }
            }
            let done = try await rig.finished()
            await rig.mobility.notify(ue: Self.ue)
            await rig.mobility.notify(ue: Self.ue)
            try await Task.sleep(for: .milliseconds(200))
            let all = try await rig.client.list(SessionMigration.descriptor, namespace: "default", options: .everything).items
            #expect(all.count == 1)
            #expect(done.first?.status?.phase == "Completed")
            let session = try await rig.session()
            #expect(session.status?.site == "edge-b" && session.status?.migrations == 1)
            // One event on the session says what happened (events are written in the background).
            try await waitUntil("the SessionMigrated event") {
                try await rig.client.list(Event.descriptor, namespace: "default", options: .everything).items
                    .contains { $0["reason"] == "SessionMigrated" && $0["involvedObject"]?["name"] == "s1" }
            }
            try await Task.sleep(for: .milliseconds(100))
            let events = try await rig.client.list(Event.descriptor, namespace: "default", options: .everything).items
            #expect(events.filter { $0["reason"] == "SessionMigrated" && $0["involvedObject"]?["name"] == "s1" }.count == 1)
        }
    }

    @Test func aSourceThatDiedFailsTheMigrationAndSaysSo() async throws {
        try await Rig.with { rig in
            await rig.a.stop()
            await rig.rtt.set(Self.ue, ["edge-a": 45, "edge-b": 12])
            await rig.mobility.notify(ue: Self.ue)
            let done = try await rig.finished()
            #expect(done.first?.status?.phase == "Failed")
            #expect(done.first?.status?.message?.contains("did not resume") == true, "\(done.first?.status?.message ?? "")")
            // The target holds no copy: the session is never in two places.
            let probe = try await rig.transport.send(.GET, "http://127.0.0.1:\(rig.b.port)\(StateTransferProtocol.sessionPath("s1"))")
            #expect(probe.status == 404)
            let session = try await rig.session()
            #expect(session.status?.site == "edge-a" && session.status?.phase == "Active")
            try await waitUntil("the MigrationFailed warning") {
                try await rig.client.list(Event.descriptor, namespace: "default", options: .everything).items
                    .contains { $0["reason"] == "MigrationFailed" && $0["type"] == "Warning" }
            }
        }
    }

    @Test func aMigrationWithPreCopyContinuesTheCounterAtTheTarget() async throws {
        try await Rig.with { rig in
            // Advance the counter, move with pre-copy (the target holds an import before the final one replaces it).
            for seq in 1...3 { _ = try await rig.transport.send(.POST, "http://127.0.0.1:\(rig.a.port)/sessions/s1/tick?seq=\(seq)") }
            let runner = MigrationRunner(client: rig.client, transport: rig.transport, precopy: true)
            let migration = try await runner.migrate(MigrationRunner.Request(session: try await rig.session(),
                target: EdgeInstance(site: "edge-b", endpoint: "127.0.0.1:\(rig.b.port)"), reason: "Manual"))
            #expect(migration.status?.phase == "Completed")
            let next = try await rig.transport.send(.POST, "http://127.0.0.1:\(rig.b.port)/sessions/s1/tick?seq=4")
            #expect(try JSONValue.parse(Array(next.body))["applied"] == true)
        }
    }

    /// A move decided from a cache that has not seen the session's last move yet (the demo lost two sessions so: a
    /// second Drain decided from the old copy froze and imported the session at the instance that now held it) is
    /// refused before anything is touched: no record, no freeze, the session plays on where it is.
    @Test func aMoveDecidedFromAStaleCopyOfTheSessionIsRefusedAndTouchesNothing() async throws {
        try await Rig.with { rig in
            let stale = try await rig.session()
            let runner = MigrationRunner(client: rig.client, transport: rig.transport)
            let moved = try await runner.migrate(MigrationRunner.Request(session: stale,
                target: EdgeInstance(site: "edge-b", endpoint: "127.0.0.1:\(rig.b.port)"), reason: "Manual"))
            #expect(moved.status?.phase == "Completed")
            // From the old copy: at edge-a, moving to edge-b, where the session already is.
            do {
                _ = try await runner.migrate(MigrationRunner.Request(session: stale,
                    target: EdgeInstance(site: "edge-b", endpoint: "127.0.0.1:\(rig.b.port)"), reason: "Drain"))
                Issue.record("a move from a stale copy went ahead")
            } catch {
                #expect((error as? APIError)?.reason == .conflict, "\(error)")
            }
            #expect(try await rig.client.list(SessionMigration.descriptor, namespace: "default", options: .everything).items.count == 1)
            let next = try await rig.transport.send(.POST, "http://127.0.0.1:\(rig.b.port)/sessions/s1/tick?seq=1")
            #expect(try JSONValue.parse(Array(next.body))["applied"] == true, "the session still plays at edge-b")
            #expect(try await rig.session().status?.site == "edge-b")
        }
    }

    @Test func discoveryWithTheAccessNetworkDownAnswers503() async throws {
        let transport = HTTPTransport()
        let client = StoreObjectClient(store: ResourceStore.memory())
        let instances = StaticInstances([EdgeApp(profile: Self.profile, instances: [EdgeInstance(site: "edge-a", endpoint: "127.0.0.1:1")])])
        // Port 1 on loopback: nothing listens there.
        let discovery = Discovery(client: client, instances: instances, rtt: AccessNetworkClient(baseURL: "http://127.0.0.1:1", transport: transport))
        do {
            _ = try await discovery.endpoints(namespace: "default", app: "counter", for: .ue("10.0.0.1"))
            Issue.record("expected 503")
        } catch {
            #expect(error.reason == .serviceUnavailable)
            #expect(error.message.contains("access network"))
        }
        do {
            _ = try await discovery.endpoints(namespace: "default", app: "nope", for: .ue("10.0.0.1"))
            Issue.record("expected 404")
        } catch {
            #expect(error.reason == .notFound)
        }
        await transport.shutdown()
    }
}
