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

    @Test func discoveryRanksByTheNetworksRTTAndSkipsAFullSite() async throws {
        // The simulator, paused; the UE put at the west end, in edge-1's zone.
        let callbacks = HTTPNotificationSender.makeClient()
        let scenario = try Scenario.load(path: Self.repository.appendingPathComponent("simulator/scenarios/three-sites-line.yaml").path)
        let network = AccessNetwork(scenario: scenario)
        let ue = network.addresses[0]
        network.move(ue: 0, to: Point(x: 100, y: 200), speed: 0)
        let sim = SimulationRunner(network: network, hub: NotificationHub(sender: HTTPNotificationSender(client: callbacks)), paused: true,
                                   epoch: 1_800_000_000)
        await sim.step(seconds: 2)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let simTask = Task { try await AccessNetworkServer(runner: sim) { continuation.yield($0) }.makeApplication().runService() }
        var iterator = ports.makeAsyncIterator()
        let simURL = "http://127.0.0.1:\(await iterator.next() ?? 0)"

        let fixture = try await FederationFixture.start(
            sites: ["edge-1", "edge-2", "edge-3"].map { FederationFixture.site($0, region: "line", nodes: 1) },
            kubelet: KubeletConfiguration(startupDelay: .milliseconds(20), jitter: .milliseconds(10)), accessNetworkURL: simURL)
        let kubectl = fixture.kubectl
        do {
            try await fixture.waitForReadyClusters()
            let applied = try await kubectl.run(["apply", "-f", Self.repository.appendingPathComponent("manifests/examples/mec/counter.yaml").path])
            #expect(applied.status == 0, "\(applied.combined)")
            // The registry sees the three instances (from the members' Endpoints) in MEC 011 shape.
            try await waitUntil("three ACTIVE counter instances", seconds: 30, every: .milliseconds(100)) {
                let listed = try await kubectl.run(["get", "--raw", "/mec/discovery/v1/services?ser_name=counter"])
                let services = (try? JSONValue.parse(listed.stdout))?["serviceInfoList"]?.arrayValue ?? []
                return services.filter { $0["state"] == "ACTIVE" }.count == 3
            }

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
        } catch {
            Issue.record("\(error)")
        }
        await fixture.stop()
        sim.hub.closeAllStreams()
        simTask.cancel()
        _ = await simTask.result
        try? await callbacks.shutdown()
    }
}
