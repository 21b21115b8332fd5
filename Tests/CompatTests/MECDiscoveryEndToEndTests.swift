import AccessNetworkSim
import AsyncHTTPClient
import EdgeClusterSim
import FlotillaAPI
import FlotillaMEC
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// Discovery in the running federation: the counter app on three simulated sites, the access network simulator on
/// the side, and kubectl asking the control plane where a UE should go.
@Suite(.serialized) struct MECDiscoveryEndToEndTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// simulator/scenarios/three-sites-line.yaml, paused (the test steps it), on its own port; its UE at the west end.
    struct LineNetwork {
        let sim: SimulationRunner
        let task: Task<Void, any Error>
        let url: String
        let ue: String
        let callbacks: HTTPClient

        /// Starts the network, runs `body` with it and stops it, whether `body` returned or threw.
        static func with<T>(_ body: (LineNetwork) async throws -> T) async throws -> T {
            let line = try await start()
            return try await withCleanup({ try await body(line) }, cleanup: { await line.stop() })
        }

        private static func start() async throws -> LineNetwork {
            let scenario = try Scenario.load(path: MECDiscoveryEndToEndTests.repository.appendingPathComponent("simulator/scenarios/three-sites-line.yaml").path)
            let callbacks = HTTPNotificationSender.makeClient()
            let network = AccessNetwork(scenario: scenario)
            let ue = network.addresses[0]
            network.move(ue: 0, to: Point(x: 100, y: 200), speed: 0)
            let sim = SimulationRunner(network: network, hub: NotificationHub(sender: HTTPNotificationSender(client: callbacks)), paused: true,
                                       epoch: 1_800_000_000)
            await sim.step(seconds: 2)
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let task = Task { try await AccessNetworkServer(runner: sim) { continuation.yield($0) }.makeApplication().runService() }
            var iterator = ports.makeAsyncIterator()
            return LineNetwork(sim: sim, task: task, url: "http://127.0.0.1:\(await iterator.next() ?? 0)", ue: ue, callbacks: callbacks)
        }

        func stop() async {
            sim.hub.closeAllStreams()
            task.cancel()
            _ = await task.result
            try? await callbacks.shutdown()
        }
    }

    /// Three simulated sites running the counter app, joined to a control plane whose MEC services use `line`; runs
    /// `body` with them and stops them.
    static func withFederation<T>(_ line: LineNetwork, mobility: MobilityService.Configuration = .init(),
                                  _ body: (FederationFixture) async throws -> T) async throws -> T {
        try await FederationFixture.with(
            sites: ["edge-1", "edge-2", "edge-3"].map { FederationFixture.site($0, region: "line", nodes: 1) },
            kubelet: KubeletConfiguration(startupDelay: .milliseconds(20), jitter: .milliseconds(10)), accessNetworkURL: line.url, mobility: mobility
        ) { fixture in
            try await counterApplied(fixture)
            return try await body(fixture)
        }
    }

    /// The counter app applied, and its three instances registered.
    static func counterApplied(_ fixture: FederationFixture) async throws {
        try await fixture.waitForReadyClusters()
        let applied = try await fixture.kubectl.run(["apply", "-f", repository.appendingPathComponent("manifests/examples/mec/counter.yaml").path])
        #expect(applied.status == 0, "\(applied.combined)")
        // The registry sees the three instances (from the members' Endpoints) in MEC 011 shape.
        try await waitUntil("three ACTIVE counter instances", seconds: 30, every: .milliseconds(100)) {
            let listed = try await fixture.kubectl.run(["get", "--raw", "/mec/discovery/v1/services?ser_name=counter"])
            let services = (try? JSONValue.parse(listed.stdout))?["serviceInfoList"]?.arrayValue ?? []
            return services.filter { $0["state"] == "ACTIVE" }.count == 3
        }
    }

    @Test func discoveryRanksByTheNetworksRTTAndSkipsAFullSite() async throws {
        try await LineNetwork.with { line in
            let (simURL, ue, callbacks) = (line.url, line.ue, line.callbacks)
            try await Self.withFederation(line) { fixture in
                let kubectl = fixture.kubectl
                // The ranking follows the simulator's own predictions for this UE: edge-1 (its zone's site) first.
                let predicted = try await AccessNetworkClient(baseURL: simURL, transport: HTTPTransport(client: callbacks)).rtt(ue: ue)
                let path = "/mec/discovery/v1/namespaces/default/apps/counter/endpoints?ue=\(ue)"
                let answer = try JSONValue.parse(try await kubectl.run(["get", "--raw", path]).stdout)
                let endpoints = answer["endpoints"]?.arrayValue ?? []
                #expect(endpoints.compactMap { $0["site"]?.stringValue }.first == "edge-1")
                #expect(endpoints.count == 3)
                for entry in endpoints {
                    let site = entry["site"]?.stringValue ?? ""
                    #expect(entry["predictedRttMs"]?.doubleValue == predicted.rttMs[site], "\(site)")
                    #expect(entry["withinBudget"] == true)
                }
                // edge-2 and edge-3 are equally far (9 ms backhaul): the tie goes by name.
                #expect(endpoints.compactMap { $0["site"]?.stringValue } == ["edge-1", "edge-2", "edge-3"])
                #expect((predicted.rttMs["edge-2"] ?? 0) - (predicted.rttMs["edge-1"] ?? 0) == 8)

                // The same question as a create-only review, for tools: the answer comes back in status and nothing is stored.
                let review = try await kubectl.run(["create", "-f", "-", "-o", "json"], stdin: """
                    apiVersion: mec.flotilla.io/v1alpha1
                    kind: EndpointReview
                    metadata: {name: where-to, namespace: default}
                    spec: {app: counter, ue: "\(ue)", limit: 2}
                    """)
                #expect(review.status == 0, "\(review.combined)")
                let reviewed = try JSONValue.parse(review.stdout)
                #expect(reviewed["status"]?["endpoints"]?.arrayValue?.compactMap { $0["site"]?.stringValue } == ["edge-1", "edge-2"])
                let listReviews = try await kubectl.run(["get", "endpointreviews"])
                #expect(listReviews.status != 0 && listReviews.combined.contains("only support create"), "\(listReviews.combined)")
                let badReview = try await kubectl.run(["create", "-f", "-"], stdin: """
                    apiVersion: mec.flotilla.io/v1alpha1
                    kind: EndpointReview
                    metadata: {name: nowhere, namespace: default}
                    spec: {app: counter}
                    """)
                #expect(badReview.status != 0 && badReview.combined.contains("exactly one of ue, cell"), "\(badReview.combined)")

                // Assigning the UE records an AppSession at the best instance.
                let created = try await kubectl.run(["create", "--raw", "/mec/discovery/v1/namespaces/default/apps/counter/sessions", "-f", "-"],
                                                    stdin: #"{"ue": "\#(ue)", "name": "player-1"}"#)
                #expect(created.status == 0, "\(created.combined)")
                let session = try AppSession(json: try JSONValue.parse(created.stdout))
                #expect(session.status?.site == "edge-1")
                #expect(session.status?.endpoint == endpoints.first?["endpoint"]?.stringValue)
                let table = try await kubectl.run(["get", "appsessions"])
                #expect(table.stdout.contains("player-1") && table.stdout.contains(ue) && table.stdout.contains("edge-1"), "\(table.combined)")

                // One session per replica: edge-1 is now full, so the next UE is sent to edge-2 and told why edge-1 was skipped.
                #expect(try await kubectl.run(["patch", "appprofile", "counter", "--type", "merge", "-p", #"{"spec":{"sessionsPerReplica":1}}"#]).status == 0)
                try await waitUntil("edge-1 skipped as full", seconds: 10, every: .milliseconds(100)) {
                    let again = try JSONValue.parse(try await kubectl.run(["get", "--raw", path]).stdout)
                    return again["endpoints"]?.arrayValue?.first?["site"] == "edge-2"
                        && again["skipped"]?.arrayValue?.first?["reason"]?.stringValue == "Full: 1 of 1 sessions"
                }

                // Bad input: clear Status answers.
                let unknownUE = try await kubectl.run(["get", "--raw", "/mec/discovery/v1/namespaces/default/apps/counter/endpoints?ue=10.9.9.9"])
                #expect(unknownUE.status != 0 && unknownUE.combined.contains("NotFound"), "\(unknownUE.combined)")
                let unknownApp = try await kubectl.run(["get", "--raw", "/mec/discovery/v1/namespaces/default/apps/nope/endpoints?ue=\(ue)"])
                #expect(unknownApp.status != 0 && unknownApp.combined.contains("no AppProfile"), "\(unknownApp.combined)")
                let noSubject = try await kubectl.run(["get", "--raw", "/mec/discovery/v1/namespaces/default/apps/counter/endpoints"])
                #expect(noSubject.status != 0 && noSubject.combined.contains("BadRequest"), "\(noSubject.combined)")
                // A place instead of a UE: the west cell's RTTs.
                let byCell = try JSONValue.parse(try await kubectl.run(["get", "--raw",
                    "/mec/discovery/v1/namespaces/default/apps/counter/endpoints?cell=cell-west"]).stdout)
                #expect(byCell["cell"] == "cell-west")
            }
        }
    }

    /// The acceptance case on the real federation: a UE rides across the three sites while it advances its counter;
    /// the mobility service in the control plane moves its session twice, and nothing is lost or repeated.
    @Test func aRiderIsFollowedAcrossTheFederatedSites() async throws {
        try await LineNetwork.with { line in
            try await Self.withFederation(line, mobility: .init(policy: MobilityPolicy(dwell: .milliseconds(300), holdDown: .milliseconds(500)),
                                                                 interval: .milliseconds(50))) { fixture in
                let kubectl = fixture.kubectl
                let http = HTTPTransport(client: line.callbacks)
                let created = try await kubectl.run(["create", "--raw", "/mec/discovery/v1/namespaces/default/apps/counter/sessions", "-f", "-"],
                                                    stdin: #"{"ue": "\#(line.ue)", "name": "rider"}"#)
                #expect(created.status == 0, "\(created.combined)")
                var endpoint = try #require(try JSONValue.parse(created.stdout)["status"]?["endpoint"]?.stringValue)
                #expect(try await http.send(.POST, "http://\(endpoint)/sessions/rider").status == 201)
                // The UE plays: tick n until applied once, following the AppSession when its instance says it moved.
                let playing = Task { () -> (applied: [Int], sites: [String]) in
                    var applied: [Int] = [], endpoints: [String] = []
                    var seq = 1
                    while !Task.isCancelled {
                        let reply = try? await http.send(.POST, "http://\(endpoint)/sessions/rider/tick?seq=\(seq)")
                        if let reply, reply.status == 200, let body = try? JSONValue.parse(Array(reply.body)), body["applied"] == true {
                            applied.append(Int(body["counter"]?.int64Value ?? -1))
                            if endpoints.last != endpoint { endpoints.append(endpoint) }
                            seq += 1
                            try? await Task.sleep(for: .milliseconds(10))
                        } else {
                            let session = try? await kubectl.run(["get", "appsession", "rider", "-o", "jsonpath={.status.endpoint}"])
                            if let moved = session?.stdout, !moved.isEmpty { endpoint = moved }
                            try? await Task.sleep(for: .milliseconds(5))
                        }
                    }
                    return (applied, endpoints)
                }
                defer { playing.cancel() }  // the player stops even when the test fails early
                func completed() async throws -> [String] {
                    let listed = try await kubectl.run(["get", "sessionmigrations", "-o", "json"])
                    return (try JSONValue.parse(listed.stdout)["items"]?.arrayValue ?? [])
                        .filter { $0["status"]?["phase"] == "Completed" }
                        .sorted { ($0["status"]?["startTime"]?.stringValue ?? "") < ($1["status"]?["startTime"]?.stringValue ?? "") }
                        .map { "\($0["spec"]?["sourceSite"]?.stringValue ?? "")→\($0["spec"]?["targetSite"]?.stringValue ?? "")" }
                }
                for (x, moves) in [(1500.0, 1), (2900.0, 2)] {
                    let body: JSONValue = ["x": .double(x), "y": 200, "speed": 50]
                    #expect(try await http.send(.POST, line.url + "/flotilla/v1/ues/\(line.ue)/move", body: Data(body.serialized()),
                                                headers: [("Content-Type", "application/json")]).status == 200)
                    // Until the UE has arrived, not merely until the move (at a cell edge it may hand back), and
                    // bounded by the wall clock: on a busy machine the service may act after the ride is over.
                    let deadline = ContinuousClock.now + .seconds(45)
                    while ContinuousClock.now < deadline {
                        let arrived = await line.sim.withNetwork { abs($0.positions[0].x - x) < 1 }
                        if arrived, try await completed().count >= moves { break }
                        await line.sim.step(seconds: 0.5)
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                playing.cancel()
                let (applied, endpoints) = await playing.value
                #expect(try await completed() == ["edge-1→edge-2", "edge-2→edge-3"])
                #expect(!applied.isEmpty && applied == Array(1...applied.count), "no gap, no repeat")
                #expect(endpoints.count == 3, "\(endpoints)")
                let table = try await kubectl.run(["get", "appsessions"])
                #expect(table.stdout.contains("edge-3"), "\(table.combined)")
                // The dashboard's data: the three sites where the line's topology puts them, the rider at edge-3 (with
                // its model RTT unless it is in a handover), and the two moves.
                // (Asked until the access network has answered in time: on a busy machine one answer may miss.)
                var raw = try await kubectl.run(["get", "--raw", "/dashboard/snapshot"])
                try await waitUntil("a snapshot with the access network's answer", seconds: 20, every: .milliseconds(500)) {
                    raw = try await kubectl.run(["get", "--raw", "/dashboard/snapshot"])
                    return (try? JSONValue.parse(raw.stdout))?["problems"] == []
                }
                let snapshot = try JSONValue.parse(raw.stdout)
                let sites = snapshot["sites"]?.arrayValue ?? []
                #expect(sites.compactMap { $0["name"]?.stringValue } == ["edge-1", "edge-2", "edge-3"], "\(raw.combined)")
                #expect(sites.allSatisfy { $0["ready"] == true && $0["x"]?.doubleValue != nil })
                let rider = snapshot["players"]?.arrayValue?.first { $0["session"] == "rider" }
                #expect(rider?["site"] == "edge-3" && rider?["x"]?.doubleValue != nil, "\(raw.stdout)")
                // An RTT while connected; none in a handover (the UE may have stopped at a cell edge).
                #expect(rider?["rttMs"]?.doubleValue != nil || rider?["radio"] != "Connected", "\(raw.stdout)")
                #expect(snapshot["totals"]?["completed"] == 2)
                #expect((snapshot["migrations"]?.arrayValue ?? []).prefix(2).compactMap { $0["to"]?.stringValue } == ["edge-3", "edge-2"])
                #expect((snapshot["cells"]?.arrayValue ?? []).count >= 3)
            }
        }
    }
}
