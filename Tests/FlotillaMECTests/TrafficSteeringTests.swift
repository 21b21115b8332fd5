import FlotillaAPI
import FlotillaControllers
import FlotillaMEC
import FlotillaStore
import FlotillaTestSupport
import Foundation
import KubeClient
import Synchronization
import Testing

/// The session's TrafficRule through a move (BUFFER before the freeze, the target at resume, the source again on a
/// rollback), its end with the session, and the Mp1 traffic-rule API an app uses to read and change its rules.
@Suite struct TrafficSteeringTests {
    static let dataPath = AppDataPath(address: "198.51.100.10", port: 7000)

    final class Seen: Sendable {
        let actions = Mutex<[String]>([])
        var all: [String] { actions.withLock { $0 } }
    }

    /// Records each version of rule s1 as "ACTION@port".
    static func watchRule(_ client: StoreObjectClient) async throws -> (Seen, Task<Void, Never>) {
        let seen = Seen()
        let list = try await client.list(TrafficRule.descriptor, namespace: "default", options: .everything)
        let stream = try await client.watch(TrafficRule.descriptor, namespace: "default", options: .everything, resourceVersion: list.resourceVersion)
        let task = Task {
            do {
                for try await event in stream {
                    guard let rule = try? TrafficRule(json: event.object) else { continue }
                    seen.actions.withLock { $0.append("\(rule.spec.action)@\(rule.spec.dstInterface?.dstPort ?? 0)") }
                }
            } catch {}
        }
        return (seen, task)
    }

    @Test func aMoveBuffersTheFlowThenPointsItAtTheTarget() async throws {
        try await MigrationFaultTests.Rig.with { rig in
            try await TrafficSteering(client: rig.client).start(try await rig.session(), dataPath: Self.dataPath)
            let (seen, watching) = try await Self.watchRule(rig.client)
            defer { watching.cancel() }
            let runner = MigrationRunner(client: rig.client, transport: rig.transport)
            let moved = try await runner.migrate(MigrationRunner.Request(session: try await rig.session(),
                target: EdgeInstance(site: "edge-b", endpoint: "127.0.0.1:\(rig.b.port)"), reason: "Manual"))
            #expect(moved.status?.phase == "Completed")
            try await waitUntil("the rule follows the move") { seen.all.count == 2 }
            #expect(seen.all == ["BUFFER@\(rig.a.port)", "FORWARD_DECAPSULATED@\(rig.b.port)"])
            let rule = try TrafficRule(json: try await rig.client.get(TrafficRule.descriptor, namespace: "default", name: "s1"))
            #expect(rule.spec.site == "edge-b")
            #expect(rule.spec.trafficFilter.first?.srcAddress == [MigrationFaultTests.ue])
        }
    }

    /// The source freezes only once the gateway of its site confirms the hold in the rule's status: until then it
    /// still serves (a datagram the gateway forwarded meanwhile is answered, not lost at a frozen instance).
    @Test func theSourceFreezesOnlyAfterTheGatewayConfirmsTheHold() async throws {
        try await MigrationFaultTests.Rig.with { rig in
            try await TrafficSteering(client: rig.client).start(try await rig.session(), dataPath: Self.dataPath)
            let source = "127.0.0.1:\(rig.a.port)"
            let list = try await rig.client.list(TrafficRule.descriptor, namespace: "default", options: .everything)
            let stream = try await rig.client.watch(TrafficRule.descriptor, namespace: "default", options: .everything,
                                                    resourceVersion: list.resourceVersion)
            // A slow gateway: it confirms the hold 300 ms after it sees it, noting what the source holds meanwhile.
            let gateway = Task { () -> [MigrationRecovery.Held] in
                var phases: [MigrationRecovery.Held] = []
                for try await event in stream {
                    guard var rule = try? TrafficRule(json: event.object), rule.spec.action == "BUFFER", rule.status == nil else { continue }
                    phases.append(await StateTransferClient(transport: rig.transport).held(at: source, session: "s1"))
                    try await Task.sleep(for: .milliseconds(300))
                    phases.append(await StateTransferClient(transport: rig.transport).held(at: source, session: "s1"))
                    rule.status = TrafficRuleStatus(site: rule.spec.site, observedGeneration: rule.metadata.generation, action: "BUFFER")
                    _ = try await rig.client.updateStatus(TrafficRule.descriptor, rule.json())
                    return phases
                }
                return phases
            }
            let runner = MigrationRunner(client: rig.client, transport: rig.transport, holdConfirmation: .seconds(30))
            let moved = try await runner.migrate(MigrationRunner.Request(session: try await rig.session(),
                target: EdgeInstance(site: "edge-b", endpoint: "127.0.0.1:\(rig.b.port)"), reason: "Manual"))
            #expect(moved.status?.phase == "Completed")
            #expect(try await gateway.value == [.phase("Active"), .phase("Active")])
        }
    }

    @Test func aRolledBackMovePointsTheFlowBackAtTheSource() async throws {
        try await MigrationFaultTests.Rig.with { rig in
            try await TrafficSteering(client: rig.client).start(try await rig.session(), dataPath: Self.dataPath)
            let (seen, watching) = try await Self.watchRule(rig.client)
            defer { watching.cancel() }
            await rig.b.stop()  // the target is gone: the import fails
            let runner = MigrationRunner(client: rig.client, transport: rig.transport)
            let moved = try await runner.migrate(MigrationRunner.Request(session: try await rig.session(),
                target: EdgeInstance(site: "edge-b", endpoint: "127.0.0.1:\(rig.b.port)"), reason: "Manual"))
            #expect(moved.status?.phase == "RolledBack")
            try await waitUntil("the rule is back") { seen.all.count == 2 }
            #expect(seen.all == ["BUFFER@\(rig.a.port)", "FORWARD_DECAPSULATED@\(rig.a.port)"])
        }
    }

    @Test func theRuleEndsWithItsSession() async throws {
        try await MigrationFaultTests.Rig.with { rig in
            try await TrafficSteering(client: rig.client).start(try await rig.session(), dataPath: Self.dataPath)
            try await rig.client.delete(AppSession.descriptor, namespace: "default", name: "s1")
            try await waitUntil("the rule is deleted") {
                (try? await rig.client.get(TrafficRule.descriptor, namespace: "default", name: "s1")) == nil
            }
        }
    }

    /// `spec.dataPath` is refused (422) with an address that is not IPv4, a port out of range or another protocol; a
    /// TrafficRule names the field at fault.
    @Test func badDataPathsAndRulesNameTheirField() {
        func fields(_ dataPath: AppDataPath) -> [String] {
            var spec = AppProfileSpec(workloads: [ResourceSelector(apiVersion: "apps/v1", kind: "Deployment", name: "game")])
            spec.dataPath = dataPath
            return AppProfile(metadata: ObjectMeta(name: "game", namespace: "default"), spec: spec).validate().map { $0.field.description }
        }
        #expect(fields(AppDataPath(address: "198.51.100.10", port: 7000)).isEmpty)
        var tcp = AppDataPath(address: "198.51.100.10", port: 7000)
        tcp.protocol = "TCP"
        #expect(fields(tcp).isEmpty)
        var sctp = AppDataPath(address: "vip.example", port: 70000)
        sctp.protocol = "SCTP"
        #expect(fields(sctp) == ["spec.dataPath.address", "spec.dataPath.port", "spec.dataPath.protocol"])

        var spec = TrafficRuleSpec(trafficRuleId: "r", priority: 256, trafficFilter: [TrafficFilter(dstPort: ["0"], protocol: ["ICMP"])],
                                   action: "FORWARD_DECAPSULATED")
        spec.filterType = "PACKET"
        let problems = TrafficRule(metadata: ObjectMeta(name: "r", namespace: "default"), spec: spec).validate().map { $0.field.description }
        #expect(problems == ["spec.filterType", "spec.priority", "spec.trafficFilter[0].dstPort[0]", "spec.trafficFilter[0].protocol[0]",
                             "spec.dstInterface", "spec.site"], "\(problems)")
    }

    @Test func anAppReadsAndChangesItsRulesOverMp1() async throws {
        let profile = AppProfile(metadata: ObjectMeta(name: "game", namespace: "default"),
            spec: AppProfileSpec(workloads: [ResourceSelector(apiVersion: "apps/v1", kind: "Deployment", name: "game")]))
        let instances = StaticInstances([EdgeApp(profile: profile, instances: [
            EdgeInstance(site: "edge-a", endpoint: "127.0.0.1:7001"), EdgeInstance(site: "edge-b", endpoint: "127.0.0.1:7002")])])
        let server = try await RunningServer.start(extensions: { store in [TrafficRulesAPI(client: StoreObjectClient(store: store), instances: instances)] })
        let store = StoreObjectClient(store: server.store)
        var session = AppSession(metadata: ObjectMeta(name: "s1", namespace: "default"), spec: AppSessionSpec(ue: "10.0.0.7", app: "game"))
        session.status = AppSessionStatus(site: "edge-a", endpoint: "127.0.0.1:7001", phase: "Active")
        try await TrafficSteering(client: store).start(session, dataPath: Self.dataPath)
        try await withCleanup({
            try await TestClient(server: server, token: server.data.adminToken).using { (client: TestClient) async throws in
                let base = "/mec_app_support/v1/applications/default.game/traffic_rules"
                let list = try await client.request(.GET, base)
                #expect(list.status == 200 && list.json?.arrayValue?.count == 1, "\(list.text)")
                let one = try await client.request(.GET, "\(base)/s1")
                #expect(one.json?["action"] == "FORWARD_DECAPSULATED")
                #expect(one.json?["dstInterface"]?.arrayValue?.first?["dstPort"]?.int64Value == 7001)
                #expect(try await client.request(.GET, "\(base)/s9").status == 404)
                #expect(try await client.request(.GET, "/mec_app_support/v1/applications/default.other/traffic_rules").json?.arrayValue?.isEmpty == true)

                // Bad input: ProblemDetails naming the field, and nothing stored changes.
                var bad = try #require(one.json)
                bad["priority"] = 300
                let refused = try await client.request(.PUT, "\(base)/s1", json: bad)
                #expect(refused.status == 400 && refused.header("Content-Type") == "application/problem+json")
                #expect(refused.json?["invalidParams"]?.arrayValue?.first?["param"] == "priority", "\(refused.text)")
                var nowhere = try #require(one.json)
                nowhere["dstInterface"] = [["interfaceType": "IP", "dstIpAddress": "127.0.0.1", "dstPort": 7999]]
                let missing = try await client.request(.PUT, "\(base)/s1", json: nowhere)
                #expect(missing.json?["invalidParams"]?.arrayValue?.first?["param"] == "dstInterface[0].dstIpAddress", "\(missing.text)")
                var renamed = try #require(one.json)
                renamed["trafficRuleId"] = "other"
                #expect(try await client.request(.PUT, "\(base)/s1", json: renamed).json?["invalidParams"]?.arrayValue?.first?["param"] == "trafficRuleId")
                var badFilter = try #require(one.json)
                badFilter["trafficFilter"] = [["srcAddress": ["not-an-ip"]]]
                #expect(try await client.request(.PUT, "\(base)/s1", json: badFilter).json?["invalidParams"]?.arrayValue?.first?["param"]
                        == "trafficFilter[0].srcAddress[0]")
                // Members the gateways would not act on are refused, not stored and ignored.
                var qci = try #require(one.json)
                qci["trafficFilter"] = [["srcAddress": ["10.0.0.7"], "qCI": 5]]
                #expect(try await client.request(.PUT, "\(base)/s1", json: qci).json?["invalidParams"]?.arrayValue?.first?["param"]
                        == "trafficFilter[0].qCI")
                var extra = try #require(one.json)
                extra["fooBar"] = true
                #expect(try await client.request(.PUT, "\(base)/s1", json: extra).json?["invalidParams"]?.arrayValue?.first?["param"] == "fooBar")
                #expect(try await client.request(.GET, "\(base)/s1").json == one.json)

                // A good change: to the other instance, its site taken from the registry.
                var good = try #require(one.json)
                good["dstInterface"] = [["interfaceType": "IP", "dstIpAddress": "127.0.0.1", "dstPort": 7002]]
                let changed = try await client.request(.PUT, "\(base)/s1", json: good)
                #expect(changed.status == 200, "\(changed.text)")
                let stored = try TrafficRule(json: try await store.get(TrafficRule.descriptor, namespace: "default", name: "s1"))
                #expect(stored.spec.site == "edge-b" && stored.spec.dstInterface?.dstPort == 7002)
                #expect(try await client.request(.POST, base, json: good).status == 405)
            }
        }, cleanup: { await server.stop() })
    }
}
