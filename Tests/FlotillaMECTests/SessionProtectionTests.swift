import AccessNetworkSim
import EdgeClusterSim
import FlotillaAPI
@testable import FlotillaAppKit
import FlotillaControllers
import FlotillaMEC
import FlotillaStore
import FlotillaTestSupport
import Foundation
import KubeClient
import NIOCore
import Synchronization
import Testing

/// Session protection against real `flotilla/counter` instances: a standby copy is kept at the next-best site,
/// the primary's death promotes it (the session goes on, missing at most the last checkpoint interval), and an old
/// primary that comes back is fenced.
@Suite(.serialized) struct SessionProtectionTests {
    /// Instances whose readiness the test changes, as the registry would when a cluster goes NotReady.
    actor Instances: InstanceSource {
        var app: EdgeApp
        init(_ app: EdgeApp) { self.app = app }
        func app(namespace: String, name: String) -> EdgeApp? { app }
        func apps(namespace: String?) -> [EdgeApp] { [app] }
        func setReady(_ endpoint: String, _ ready: Bool) {
            for index in app.instances.indices where app.instances[index].endpoint == endpoint { app.instances[index].ready = ready }
        }
        func setDraining(site: String) {
            for index in app.instances.indices where app.instances[index].site == site { app.instances[index].draining = true }
        }
    }

    /// The UE's RTT: edge-1 best, edge-2 next, edge-3 last.
    struct FixedRTT: SiteRTTSource {
        func rtt(ue: String) async throws(MECError) -> UESiteRTT {
            UESiteRTT(ue: ue, rttMs: ["edge-1": 5, "edge-2": 9, "edge-3": 14])
        }
        func rtt(at location: DiscoveryLocation) async throws(MECError) -> UESiteRTT { try await rtt(ue: "") }
    }

    static let profile = """
        apiVersion: mec.flotilla.io/v1alpha1
        kind: AppProfile
        metadata: {name: counter, namespace: default}
        spec:
          workloads: [{apiVersion: apps/v1, kind: Deployment, name: counter}]
          latencyBudgetMs: 40
          serviceContinuity: true
          sessionProtection: {mode: Standby, checkpointInterval: 50ms}
        """

    /// Counter instances at edge-1, edge-2 and edge-3, an in-memory control plane with the protected profile, and a
    /// mobility service that never moves a session for RTT reasons (dwell and hold-down of a minute).
    struct Rig {
        let workloads: [String: any RunningWorkload]
        let client: StoreObjectClient
        let instances: Instances
        let transport: HTTPTransport
        let mobility: MobilityService

        func endpoint(_ site: String) -> String { "127.0.0.1:\(workloads[site]!.port)" }

        static func with(_ body: (Rig) async throws -> Void) async throws {
            var workloads: [String: any RunningWorkload] = [:]
            for site in ["edge-1", "edge-2", "edge-3"] {
                workloads[site] = try await CounterWorkload.start(WorkloadContext(site: site, namespace: "default", pod: "counter-\(site)",
                                                                                  image: "flotilla/counter:1"))
            }
            let client = StoreObjectClient(store: ResourceStore.memory())
            _ = try await client.create(Namespace.descriptor, Namespace(name: "default").json())
            let profile = try AppProfile(json: try await client.create(AppProfile.descriptor, try YAMLCodec.decode(SessionProtectionTests.profile)))
            let ports = workloads.mapValues(\.port)
            let instances = Instances(EdgeApp(profile: profile, instances: ["edge-1", "edge-2", "edge-3"].map {
                EdgeInstance(site: $0, endpoint: "127.0.0.1:\(ports[$0]!)", capacity: 10) }))
            let transport = HTTPTransport()
            let mobility = MobilityService(client: client, rtt: FixedRTT(), instances: instances,
                runner: MigrationRunner(client: client, transport: transport),
                configuration: .init(policy: MobilityPolicy(dwell: .seconds(60), holdDown: .seconds(60)), interval: .milliseconds(50)))
            let rig = Rig(workloads: workloads, client: client, instances: instances, transport: transport, mobility: mobility)
            let running = Task { await mobility.run() }
            try await withCleanup({ try await body(rig) }, cleanup: {
                running.cancel()
                await running.value
                for workload in workloads.values { await workload.stop() }
                await rig.transport.shutdown()
            })
        }

        /// Session s1 opened at edge-1 and recorded there, as discovery does.
        func openSession() async throws {
            #expect(try await transport.send(.POST, "http://\(endpoint("edge-1"))/sessions/s1").status == 201)
            var session = try AppSession(json: try await client.create(AppSession.descriptor,
                AppSession(metadata: ObjectMeta(name: "s1", namespace: "default"), spec: AppSessionSpec(ue: "10.0.0.1", app: "counter")).json()))
            session.status = AppSessionStatus(site: "edge-1", endpoint: endpoint("edge-1"), phase: "Active")
            _ = try await client.updateStatus(AppSession.descriptor, session.json())
        }
    }

    @Test func theStandbyIsPromotedWhenThePrimaryDiesAndTheOldPrimaryIsFenced() async throws {
        try await Rig.with { rig in
            let (client, transport, instances) = (rig.client, rig.transport, rig.instances)
            func endpoint(_ site: String) -> String { rig.endpoint(site) }

            // A session at edge-1, advanced by its player every 10 ms.
            try await rig.openSession()
            func current() async throws -> AppSession { try AppSession(json: try await client.get(AppSession.descriptor, namespace: "default", name: "s1")) }

            // The standby goes to the next-best site, and checkpoints reach it.
            try await waitUntil("a standby at edge-2", seconds: 10) { try await current().status?.standbySite == "edge-2" }
            #expect(try await current().status?.epoch == 1)
            var counter = 0
            for seq in 1...30 {
                let reply = try await transport.send(.POST, "http://\(endpoint("edge-1"))/sessions/s1/tick?seq=\(seq)")
                #expect(reply.status == 200)
                counter = Int((try JSONValue.parse(Array(reply.body)))["counter"]?.int64Value ?? 0)
                try await Task.sleep(for: .milliseconds(10))
            }
            // The standby holds the primary's current version: the last tick is in it.
            try await waitUntil("the standby holds the last checkpoint", seconds: 10) {
                func described(_ site: String) async throws -> JSONValue? {
                    try? JSONValue.parse(Array(try await transport.send(.GET, "http://\(endpoint(site))/mec/state/v1/sessions/s1").body))
                }
                let (primary, standby) = (try await described("edge-1"), try await described("edge-2"))
                return standby?["phase"] == "Standby" && standby?["version"] != nil && standby?["version"] == primary?["version"]
            }

            // edge-1 dies (its instance stops; the registry sees it not ready).
            await rig.workloads["edge-1"]!.stop()
            await instances.setReady(endpoint("edge-1"), false)
            try await waitUntil("the session promoted at edge-2", seconds: 10) { try await current().status?.site == "edge-2" }
            let promoted = try await current()
            #expect(promoted.status?.endpoint == endpoint("edge-2") && promoted.status?.epoch == 2)
            // The session goes on at edge-2 from the checkpoint: nothing of it was lost here (the last tick was older
            // than an interval).
            let next = try await transport.send(.POST, "http://\(endpoint("edge-2"))/sessions/s1/tick?seq=31")
            #expect(next.status == 200)
            #expect((try JSONValue.parse(Array(next.body)))["counter"]?.int64Value == Int64(counter + 1))
            let records = try await client.list(SessionMigration.descriptor, namespace: "default", options: .everything).items
                .compactMap { try? SessionMigration(json: $0) }.filter { $0.spec.reason == "Failover" }
            #expect(records.count == 1 && records.first?.status?.phase == "Completed" && records.first?.spec.sourceSite == "edge-1")
            // A new standby at the remaining site.
            try await waitUntil("a new standby at edge-3", seconds: 10) { try await current().status?.standbySite == "edge-3" }

            // An old primary that comes back (simulated: a checkpoint of the old epoch reaches the new primary) is fenced.
            let stale = CheckpointBatch(checkpoints: [.init(session: "s1", epoch: 1, version: 999, state: Data(#"{"counter":0,"padding":""}"#.utf8))])
            let answer = try await transport.send(.POST, "http://\(endpoint("edge-2"))\(StateTransferProtocol.checkpointsPath)",
                body: try JSONEncoder().encode(stale), headers: [("Content-Type", "application/json")])
            #expect(String(decoding: answer.body, as: UTF8.self).contains(#""result":"fenced""#))
            // The same in the binary form the keepers send, answered in binary; a batch cut short is refused whole.
            let binary = try await transport.send(.POST, "http://\(endpoint("edge-2"))\(StateTransferProtocol.checkpointsPath)",
                body: Data(stale.binary().readableBytesView), headers: [("Content-Type", CheckpointBatch.binaryContentType)])
            let results = CheckpointBatch.Result.results(binary: ByteBuffer(bytes: binary.body))
            #expect(results?.map(\.session) == ["s1"] && results?.map(\.result) == [CheckpointBatch.ResultKind.fenced])
            let cut = try await transport.send(.POST, "http://\(endpoint("edge-2"))\(StateTransferProtocol.checkpointsPath)",
                body: Data(stale.binary().readableBytesView.dropLast()), headers: [("Content-Type", CheckpointBatch.binaryContentType)])
            #expect(cut.status == 422)
            let still = try await transport.send(.POST, "http://\(endpoint("edge-2"))/sessions/s1/tick?seq=32")
            #expect((try JSONValue.parse(Array(still.body)))["counter"]?.int64Value == Int64(counter + 2), "the fenced checkpoint changed nothing")
        }
    }

    /// The client says its server stopped answering while the registry still lists it ready: the primary is
    /// probed, and only when the probe agrees is the standby promoted.
    @Test func aClientReportPromotesOnlyWhenTheProbeAgrees() async throws {
        try await Rig.with { rig in
            try await rig.openSession()
            func current() async throws -> AppSession {
                try AppSession(json: try await rig.client.get(AppSession.descriptor, namespace: "default", name: "s1"))
            }
            try await waitUntil("a standby at edge-2", seconds: 10) { try await current().status?.standbySite == "edge-2" }
            let fine = await rig.mobility.report(namespace: "default", name: "s1")
            #expect(fine.contains("nothing to do"), "\(fine)")
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await current().status?.site == "edge-1", "a healthy primary is not replaced on a client's word")
            await rig.workloads["edge-1"]!.stop()  // the registry is not told: only the client notices
            try await Task.sleep(for: .milliseconds(200))  // the last checkpoints land
            let lost = await rig.mobility.report(namespace: "default", name: "s1")
            #expect(lost.contains("promoting the standby at edge-2"), "\(lost)")
            try await waitUntil("promoted at edge-2", seconds: 10) { try await current().status?.site == "edge-2" }
            #expect(try await current().status?.epoch == 2)
        }
    }

    /// A cordoned site (or one tainted NoExecute) is left before the eviction: the session moves to the best other
    /// site at once (reason Drain), and its counter goes on there.
    @Test func sessionsLeaveASiteBeingDrained() async throws {
        try await Rig.with { rig in
            let (client, transport, instances) = (rig.client, rig.transport, rig.instances)
            func endpoint(_ site: String) -> String { rig.endpoint(site) }

            try await rig.openSession()
            _ = try await transport.send(.POST, "http://\(endpoint("edge-1"))/sessions/s1/tick?seq=1")
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await client.list(SessionMigration.descriptor, namespace: "default", options: .everything).items.isEmpty,
                    "edge-1 is the best site: nothing moves before the drain")
            await instances.setDraining(site: "edge-1")
            try await waitUntil("the session off edge-1", seconds: 10) {
                try AppSession(json: try await client.get(AppSession.descriptor, namespace: "default", name: "s1")).status?.site == "edge-2"
            }
            // The AppSession moves when the target resumes; the record is completed a moment later (after the release).
            var records: [SessionMigration] = []
            try await waitUntil("the drain recorded", seconds: 10) {
                records = try await client.list(SessionMigration.descriptor, namespace: "default", options: .everything).items
                    .compactMap { try? SessionMigration(json: $0) }
                return records.first?.status?.phase == "Completed"
            }
            #expect(records.map(\.spec.reason) == ["Drain"])
            let next = try await transport.send(.POST, "http://\(endpoint("edge-2"))/sessions/s1/tick?seq=2")
            #expect((try JSONValue.parse(Array(next.body)))["counter"]?.int64Value == 2)
        }
    }

    /// The SessionTable's rules for standby copies, without the network.
    @Test func checkpointsAreOrderedByEpochAndVersionAndPromotionFences() throws {
        struct State: Codable, Sendable, Equatable, TransferableState { var n: Int }
        let primary = SessionTable<State>(), standby = SessionTable<State>()
        try primary.open("a", state: State(n: 1))
        try primary.assignStandby("a", StandbyAssignment(endpoint: "x", epoch: 1, intervalMs: 100))
        let due = primary.dueCheckpoints(now: .now)
        #expect(due.map(\.id) == ["a"])
        let data = try #require(due.first?.data)
        #expect(try standby.checkpoint("a", data: data, version: 1, epoch: 1) == .accepted)
        #expect(try standby.checkpoint("a", data: data, version: 1, epoch: 1) == .stale)
        #expect(try standby.checkpoint("a", data: data, version: 0, epoch: 1) == .stale)
        guard case .frozen = standby.access("a") else { Issue.record("a standby copy must not serve"); return }
        #expect(throws: StateTransferError.self) { try standby.resume("a") }
        #expect(throws: StateTransferError.self) { _ = try standby.export("a", freeze: true) }
        // Promoted at epoch 2: serves, and a checkpoint from epoch 1 (the old primary) is fenced.
        #expect(try standby.promote("a", epoch: 2) == 1)
        #expect(standby.takePromotion("a") && !standby.takePromotion("a"))
        guard case .active(let state) = standby.access("a") else { Issue.record("a promoted copy serves"); return }
        #expect(state == State(n: 1))
        #expect(try standby.checkpoint("a", data: data, version: 9, epoch: 1) == .fenced)
        #expect(throws: StateTransferError.self) { try standby.promote("a", epoch: 2) }
        // An assignment for an older epoch is refused; the fenced old primary stops serving.
        #expect(throws: StateTransferError.self) { try standby.assignStandby("a", StandbyAssignment(endpoint: "y", epoch: 1, intervalMs: 100)) }
        primary.fence("a")
        guard case .released = primary.access("a") else { Issue.record("a fenced primary answers released"); return }
    }

    /// The keeper's schedule, without the network: sessions pushed at different times fall into one round, nothing
    /// due means no wake before the next interval ends, and each session still goes out within one interval.
    @Test func checkpointRoundsFallIntoStepAndTheKeeperSleepsUntilSomethingIsDue() throws {
        struct State: Codable, Sendable, Equatable, TransferableState { var n: Int }
        let table = SessionTable<State>()
        let rings = Mutex(0)
        table.onScheduleChange { rings.withLock { $0 += 1 } }
        try table.open("a", state: State(n: 1))
        try table.open("b", state: State(n: 1))
        #expect(table.nextWake(after: .now) == nil, "no standby, no lease: nothing to wake for")
        let assignment = StandbyAssignment(endpoint: "x", epoch: 1, intervalMs: 100)
        try table.assignStandby("a", assignment)
        try table.assignStandby("b", assignment)
        #expect(rings.withLock { $0 } == 2, "each assignment wakes the keeper")

        let t0 = ContinuousClock.now
        func ms(_ n: Int) -> ContinuousClock.Instant { t0 + .milliseconds(n) }
        func due(at n: Int) -> [String] { table.dueCheckpoints(now: ms(n)).map(\.id).sorted() }
        func push(_ ids: [String], at n: Int) {
            for id in ids { table.markPushed(id, version: table.describe(id)!.version, at: ms(n)) }
        }
        func change() { table.updateActive { _, state in state.n += 1 } }
        // Out of step: a pushed at 0, b at 60.
        #expect(due(at: 0) == ["a", "b"], "never pushed: due at once")
        push(["a"], at: 0)
        push(["b"], at: 60)
        change()
        #expect(table.nextWake(after: ms(60)) == ms(100), "a's interval ends first")
        // At 100 b is only 40 ms into its interval: under half, it waits.
        #expect(due(at: 100) == ["a"])
        push(["a"], at: 100)
        #expect(table.nextWake(after: ms(100)) == ms(160))
        change()
        // At 160 a is 60 ms into its interval, over half: it goes with b, and from now on they share a round.
        #expect(due(at: 160) == ["a", "b"])
        push(["a", "b"], at: 160)
        #expect(table.nextWake(after: ms(160)) == ms(260))
        change()
        #expect(due(at: 260) == ["a", "b"])
        push(["a", "b"], at: 260)
        // Unchanged at the end of the interval: nothing due, and the next look is one interval later, not at once.
        #expect(due(at: 360).isEmpty)
        #expect(table.nextWake(after: ms(360)) == ms(460))
        // A freeze with a lease wakes the keeper and puts the lease's end in the schedule.
        try table.open("c", state: State(n: 1))
        _ = try table.export("c", freeze: true, lease: .milliseconds(30))
        #expect(rings.withLock { $0 } == 3)
        let wake = try #require(table.nextWake(after: .now))
        #expect(wake <= ContinuousClock.now + .milliseconds(30))
    }

    /// The binary batch the keepers send: what goes in comes out, and anything but a whole batch is refused.
    @Test func aBinaryCheckpointBatchComesBackWholeOrNotAtAll() {
        let batch = CheckpointBatch(checkpoints: [
            .init(session: "s1", epoch: 3, version: 41, state: Data((0..<300).map { UInt8($0 % 256) })),
            .init(session: "ünï", epoch: 0, version: -1, state: Data()),
        ])
        let bytes = batch.binary()
        let back = CheckpointBatch(binary: bytes)
        #expect(back?.checkpoints.map(\.session) == ["s1", "ünï"])
        #expect(back?.checkpoints.map(\.epoch) == [3, 0] && back?.checkpoints.map(\.version) == [41, -1])
        #expect(back?.checkpoints.map(\.state) == batch.checkpoints.map(\.state))
        var cut = bytes
        cut.moveWriterIndex(to: bytes.writerIndex - 1)
        var longer = bytes
        longer.writeInteger(UInt8(0))
        // A count far beyond what the body holds: refused, without reserving for it.
        var lying = ByteBuffer(bytes: Array("FCK1".utf8))
        lying.writeInteger(UInt32.max)
        for bad in [cut, longer, lying, ByteBuffer(string: #"{"checkpoints":[]}"#), ByteBuffer()] {
            #expect(CheckpointBatch(binary: bad) == nil)
        }
        // The binary answer: every kind of result, a message kept; anything but a whole answer refused.
        let results: [CheckpointBatch.Result] = [
            .init(session: "s1", result: CheckpointBatch.ResultKind.accepted), .init(session: "ünï", result: CheckpointBatch.ResultKind.stale),
            .init(session: "s3", result: CheckpointBatch.ResultKind.fenced),
            .init(session: "s4", result: CheckpointBatch.ResultKind.refused, message: "state does not decode"),
        ]
        let answer = CheckpointBatch.Result.binary(results)
        let decoded = CheckpointBatch.Result.results(binary: answer)
        #expect(decoded?.map(\.session) == results.map(\.session) && decoded?.map(\.result) == results.map(\.result))
        #expect(decoded?.map(\.message) == [nil, nil, nil, "state does not decode"])
        var cutAnswer = answer
        cutAnswer.moveWriterIndex(to: answer.writerIndex - 1)
        var unknownKind = ByteBuffer(bytes: Array("FCR1".utf8))
        unknownKind.writeInteger(UInt32(1))
        unknownKind.writeInteger(UInt16(1))
        unknownKind.writeString("a")
        unknownKind.writeInteger(UInt8(9))
        unknownKind.writeInteger(UInt16(0))
        for bad in [cutAnswer, unknownKind, bytes, ByteBuffer()] {
            #expect(CheckpointBatch.Result.results(binary: bad) == nil)
        }
    }
}
