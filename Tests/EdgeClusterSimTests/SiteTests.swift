import EdgeClusterSim
import FlotillaAPI
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// Real sites on loopback ports, driven over HTTPS as a federation would drive them.
@Suite struct SiteTests {
    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-sites-\(UUID().uuidString)")
    }

    static func withSite(_ spec: SiteSpec = SiteSpec(name: "edge-1", nodes: 2, cpu: Quantity(4), memory: try! Quantity(parsing: "8Gi"), pods: 110),
                         kubelet: KubeletConfiguration = .immediate,
                         _ body: (EdgeSite, TestClient) async throws -> Void) async throws {
        let directory = temporaryDirectory()
        let site = try EdgeSite(spec: spec, directory: directory, kubelet: kubelet)
        try await site.start()
        try await withCleanup({
            try await TestClient(baseURL: await site.baseURL, caPEM: site.caPEM, token: site.adminToken).using { (client: TestClient) async throws in
                try await body(site, client)
            }
        }, cleanup: {
            await site.stop()
            try? FileManager.default.removeItem(at: directory)
        })
    }

    static func deployment(_ name: String, replicas: Int, image: String = "nginx:1.25", cpu: String = "100m") -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
            "spec": [
                "replicas": .integer(Int64(replicas)), "selector": ["matchLabels": ["app": .string(name)]],
                "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [[
                    "name": "main", "image": .string(image), "ports": [["name": "http", "containerPort": 8080]],
                    "resources": ["requests": ["cpu": .string(cpu), "memory": "64Mi"]],
                ]]]],
            ],
        ]
    }

    /// Polls until `condition` holds for the object at `path` (or fails after `seconds`).
    static func waitFor(_ client: TestClient, _ path: String, seconds: Double = 20,
                        _ condition: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var last: JSONValue = .null
        while ContinuousClock.now < deadline {
            let reply = try await client.request(.GET, path)
            if let json = reply.json {
                last = json
                if condition(json) { return json }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting on \(path); last: \(last.serializedString().prefix(600))")
        return last
    }

    @Test func deploymentRollsOutScalesAndCleansUp() async throws {
        try await Self.withSite { (site: EdgeSite, client: TestClient) async throws in
            let nodes = try await client.request(.GET, "/api/v1/nodes")
            #expect(nodes.json?["items"]?.arrayValue?.count == 2)
            let created = try await client.request(.POST, "/apis/apps/v1/namespaces/default/deployments", json: Self.deployment("web", replicas: 100, cpu: "10m"))
            #expect(created.status == 201)
            let ready = try await Self.waitFor(client, "/apis/apps/v1/namespaces/default/deployments/web") {
                $0["status"]?["readyReplicas"]?.int64Value == 100 && $0["status"]?["updatedReplicas"]?.int64Value == 100
            }
            #expect(ready["status"]?["observedGeneration"] == ready["metadata"]?["generation"])
            let pods = try await client.request(.GET, "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")
            let items = pods.json?["items"]?.arrayValue ?? []
            #expect(items.count == 100)
            #expect(items.allSatisfy { $0["status"]?["phase"]?.stringValue == "Running" && $0["spec"]?["nodeName"] != nil })
            // Scale down through the scale subresource.
            let scale: JSONValue = ["apiVersion": "autoscaling/v1", "kind": "Scale",
                                    "metadata": ["name": "web", "namespace": "default"], "spec": ["replicas": 3]]
            #expect(try await client.request(.PUT, "/apis/apps/v1/namespaces/default/deployments/web/scale", json: scale).status == 200)
            _ = try await Self.waitFor(client, "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb") { $0["items"]?.arrayValue?.count == 3 }
            _ = try await Self.waitFor(client, "/apis/apps/v1/namespaces/default/deployments/web") {
                $0["status"]?["replicas"]?.int64Value == 3 && $0["status"]?["readyReplicas"]?.int64Value == 3
            }
            #expect(try await client.request(.DELETE, "/apis/apps/v1/namespaces/default/deployments/web").status == 200)
            _ = try await Self.waitFor(client, "/api/v1/namespaces/default/pods") { $0["items"]?.arrayValue?.isEmpty == true }
        }
    }

    @Test func podThatFitsNowhereStaysPendingWithTheReason() async throws {
        try await Self.withSite { (_: EdgeSite, client: TestClient) async throws in
            _ = try await client.request(.POST, "/apis/apps/v1/namespaces/default/deployments", json: Self.deployment("huge", replicas: 1, cpu: "64"))
            let pods = try await Self.waitFor(client, "/api/v1/namespaces/default/pods?labelSelector=app%3Dhuge") { list in
                list["items"]?.arrayValue?.first?["status"]?["conditions"]?.arrayValue?.contains { $0["reason"]?.stringValue == "Unschedulable" } == true
            }
            let pod = pods["items"]?.arrayValue?.first
            #expect(pod?["status"]?["phase"]?.stringValue == "Pending")
            let condition = pod?["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "PodScheduled" }
            #expect(condition?["status"]?.stringValue == "False")
            #expect(condition?["message"]?.stringValue == "0/2 nodes are available: 2 Insufficient cpu.")
            let events = try await client.request(.GET, "/api/v1/namespaces/default/events?fieldSelector=reason%3DFailedScheduling")
            #expect(events.status == 200)
            // Over-large replica counts are fine too: the site stays up and reports.
            let deployment = try await client.request(.GET, "/apis/apps/v1/namespaces/default/deployments/huge")
            #expect(deployment.json?["status"]?["unavailableReplicas"]?.int64Value == 1)
        }
    }

    @Test func echoWorkloadAnswersAtTheAddressTheEndpointsReport() async throws {
        try await Self.withSite { (_: EdgeSite, client: TestClient) async throws in
            _ = try await client.request(.POST, "/apis/apps/v1/namespaces/default/deployments", json: Self.deployment("echo", replicas: 2, image: "flotilla/echo:1"))
            let service: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "echo"],
                                      "spec": ["selector": ["app": "echo"], "ports": [["port": 80, "targetPort": "http"]]]]
            #expect(try await client.request(.POST, "/api/v1/namespaces/default/services", json: service).status == 201)
            let endpoints = try await Self.waitFor(client, "/api/v1/namespaces/default/endpoints/echo") { ep in
                (ep["subsets"]?.arrayValue ?? []).flatMap { $0["addresses"]?.arrayValue ?? [] }.count == 2
            }
            var answered = Set<String>()
            for subset in endpoints["subsets"]?.arrayValue ?? [] {
                let ip = try #require(subset["addresses"]?.arrayValue?.first?["ip"]?.stringValue)
                let port = try #require(subset["ports"]?.arrayValue?.first?["port"]?.int64Value)
                try await TestClient(baseURL: "http://\(ip):\(port)", caPEM: nil, token: nil).using { echo in
                    let who = try await echo.request(.GET, "/")
                    #expect(who.status == 200)
                    #expect(who.json?["site"]?.stringValue == "edge-1")
                    answered.insert(who.json?["pod"]?.stringValue ?? "")
                    let echoed = try await echo.request(.POST, "/echo", body: Array("ping".utf8), contentType: "text/plain")
                    #expect(echoed.text == "ping")
                }
            }
            let pods = try await client.request(.GET, "/api/v1/namespaces/default/pods?labelSelector=app%3Decho")
            #expect(answered == Set((pods.json?["items"]?.arrayValue ?? []).compactMap(\.name)))

            // Its usage model: busier is more CPU in metrics.k8s.io (2m idle plus 1m per request a second).
            let first = try #require(endpoints["subsets"]?.arrayValue?.first)
            let ip = try #require(first["addresses"]?.arrayValue?.first?["ip"]?.stringValue)
            let port = try #require(first["ports"]?.arrayValue?.first?["port"]?.int64Value)
            let busy = try #require(first["addresses"]?.arrayValue?.first?["targetRef"]?["name"]?.stringValue)
            try await TestClient(baseURL: "http://\(ip):\(port)", caPEM: nil, token: nil).using { echo in
                for _ in 0..<40 { _ = try await echo.request(.GET, "/healthz") }
            }
            let metrics = try await client.request(.GET, "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/\(busy)")
            let cpu = try Quantity(parsing: metrics.json?["containers"]?.arrayValue?.first?["usage"]?["cpu"]?.stringValue ?? "0")
            #expect(cpu >= Quantity(milli: 6), "40 requests in the last 10 s: \(metrics.text)")

            // The same pods through the Service proxy: the EndpointSlices' ports, calls taking turns, bodies and queries passed on.
            _ = try await Self.waitFor(client, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices") { list in
                let slices: [JSONValue] = list["items"]?.arrayValue ?? []
                let endpoints: [JSONValue] = slices.flatMap { $0["endpoints"]?.arrayValue ?? [] }
                return endpoints.filter { $0["conditions"]?["ready"]?.boolValue == true }.count == 2
            }
            var proxied = Set<String>()
            for _ in 0..<4 {
                let who = try await client.request(.GET, "/api/v1/namespaces/default/services/echo/proxy/")
                #expect(who.status == 200)
                proxied.insert(who.json?["pod"]?.stringValue ?? "")
            }
            #expect(proxied == answered)
            let echoed = try await client.request(.POST, "/api/v1/namespaces/default/services/echo:80/proxy/echo?x=1", body: Array("pong".utf8),
                contentType: "text/plain")
            #expect(echoed.status == 200 && echoed.text == "pong")
            let badName = try await client.request(.GET, "/api/v1/namespaces/default/services/https:echo:80/proxy/")
            #expect(badName.status == 400 && badName.json?["kind"] == "Status")
            #expect(try await client.request(.GET, "/api/v1/namespaces/default/services/echo:grpc/proxy/").status == 404)
            #expect(try await client.request(.GET, "/api/v1/namespaces/default/services/nope/proxy/").status == 404)
        }
    }

    /// Opens a session on a counter pod just listed as ready, retrying a refused connection for up to 5 s: a CI run
    /// under load once had the first connection refused (errno 111) right after the pod's address was listed.
    static func openSession(_ counter: TestClient, _ session: String) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                return try await counter.request(.POST, "/sessions/\(session)").status
            } catch {
                guard ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// A pod whose workload holds sessions drains when deleted: it stays, terminating, still serving and listed as
    /// such in its EndpointSlice (not in Endpoints), until its sessions are gone — then it goes at once. A pod with
    /// nothing to drain goes at once; a grace period that ends stops a workload that is still busy.
    @Test func aTerminatingPodDrainsItsSessionsBeforeItGoes() async throws {
        try await Self.withSite { (_: EdgeSite, client: TestClient) async throws in
            var deployment = Self.deployment("counter", replicas: 2, image: "flotilla/counter:1")
            // Long enough that the drain below outlasts no grace period on a loaded machine (3 s once ran out there,
            // and the still-busy pod was stopped before its session was released).
            deployment.setValue(15, at: ["spec", "template", "spec", "terminationGracePeriodSeconds"])
            _ = try await client.request(.POST, "/apis/apps/v1/namespaces/default/deployments", json: deployment)
            let service: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "counter"],
                                      "spec": ["selector": ["app": "counter"], "ports": [["name": "http", "port": 80, "targetPort": "http"]]]]
            #expect(try await client.request(.POST, "/api/v1/namespaces/default/services", json: service).status == 201)
            let endpoints = try await Self.waitFor(client, "/api/v1/namespaces/default/endpoints/counter") { ep in
                (ep["subsets"]?.arrayValue ?? []).flatMap { $0["addresses"]?.arrayValue ?? [] }.count == 2
            }
            let subset = try #require(endpoints["subsets"]?.arrayValue?.first)
            let busyPod = try #require(subset["addresses"]?.arrayValue?.first?["targetRef"]?["name"]?.stringValue)
            let ip = try #require(subset["addresses"]?.arrayValue?.first?["ip"]?.stringValue)
            let port = try #require(subset["ports"]?.arrayValue?.first?["port"]?.int64Value)
            try await TestClient(baseURL: "http://\(ip):\(port)", caPEM: nil, token: nil).using { (counter: TestClient) async throws in
                #expect(try await Self.openSession(counter, "s1") == 201)
                // Scale to nothing: the idle pod goes, the busy one drains.
                _ = try await client.request(.PATCH, "/apis/apps/v1/namespaces/default/deployments/counter", json: ["spec": ["replicas": 0]],
                                             contentType: "application/merge-patch+json")
                let pods = try await Self.waitFor(client, "/api/v1/namespaces/default/pods?labelSelector=app%3Dcounter") { list in
                    (list["items"]?.arrayValue ?? []).map(\.name) == [busyPod]
                }
                let draining = try #require(pods["items"]?.arrayValue?.first)
                #expect(draining["metadata"]?["deletionTimestamp"] != nil && draining["metadata"]?["finalizers"]?.arrayValue?.count == 1)
                let slices = try await Self.waitFor(client, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices") { list in
                    (list["items"]?.arrayValue ?? []).flatMap { $0["endpoints"]?.arrayValue ?? [] }.contains { $0["conditions"]?["terminating"] == true }
                }
                let endpoint = (slices["items"]?.arrayValue ?? []).flatMap { $0["endpoints"]?.arrayValue ?? [] }.first
                #expect(endpoint?["conditions"]?["serving"] == true && endpoint?["conditions"]?["ready"] == false)
                let listed = try await client.request(.GET, "/api/v1/namespaces/default/endpoints/counter")
                #expect((listed.json?["subsets"]?.arrayValue ?? []).isEmpty, "Endpoints leave terminating pods out")
                // Still serving its session while it drains; once the session is released, the pod goes.
                #expect(try await counter.request(.POST, "/sessions/s1/tick?seq=1").status == 200)
                #expect(try await counter.request(.DELETE, "/mec/state/v1/sessions/s1").status == 204)
            }
            _ = try await Self.waitFor(client, "/api/v1/namespaces/default/pods?labelSelector=app%3Dcounter", seconds: 2) { list in
                (list["items"]?.arrayValue ?? []).isEmpty
            }
            // A busy pod whose grace period ends is stopped anyway.
            _ = try await client.request(.PATCH, "/apis/apps/v1/namespaces/default/deployments/counter", json: ["spec": ["replicas": 1]],
                                         contentType: "application/merge-patch+json")
            let ready = try await Self.waitFor(client, "/api/v1/namespaces/default/endpoints/counter") { ep in
                (ep["subsets"]?.arrayValue ?? []).flatMap { $0["addresses"]?.arrayValue ?? [] }.count == 1
            }
            let address = try #require(ready["subsets"]?.arrayValue?.first)
            try await TestClient(baseURL: "http://\(address["addresses"]?.arrayValue?.first?["ip"]?.stringValue ?? ""):\(address["ports"]?.arrayValue?.first?["port"]?.int64Value ?? 0)",
                                 caPEM: nil, token: nil).using { (counter: TestClient) async throws in
                #expect(try await Self.openSession(counter, "s2") == 201)
            }
            let deleted = ContinuousClock.now
            _ = try await client.request(.PATCH, "/apis/apps/v1/namespaces/default/deployments/counter", json: ["spec": ["replicas": 0]],
                                         contentType: "application/merge-patch+json")
            _ = try await Self.waitFor(client, "/api/v1/namespaces/default/pods?labelSelector=app%3Dcounter", seconds: 30) { list in
                (list["items"]?.arrayValue ?? []).isEmpty
            }
            #expect(ContinuousClock.now - deleted >= .seconds(14), "held for its grace period (15 s, at one-second resolution)")
        }
    }

    @Test func crashedPodRestartsAndDrainedNodeMovesPods() async throws {
        try await Self.withSite { (site: EdgeSite, client: TestClient) async throws in
            _ = try await client.request(.POST, "/apis/apps/v1/namespaces/default/deployments", json: Self.deployment("web", replicas: 4))
            _ = try await Self.waitFor(client, "/apis/apps/v1/namespaces/default/deployments/web") { $0["status"]?["readyReplicas"]?.int64Value == 4 }
            let pods = try await client.request(.GET, "/api/v1/namespaces/default/pods").json?["items"]?.arrayValue ?? []
            let victim = try #require(pods.first?.name)
            try await site.crashPod(namespace: "default", name: victim)
            let restarted = try await Self.waitFor(client, "/api/v1/namespaces/default/pods/\(victim)") { pod in
                pod["status"]?["containerStatuses"]?.arrayValue?.first?["restartCount"]?.int64Value == 1
                    && pod["status"]?["containerStatuses"]?.arrayValue?.first?["ready"]?.boolValue == true
            }
            #expect(restarted["status"]?["containerStatuses"]?.arrayValue?.first?["lastState"]?["terminated"]?["reason"]?.stringValue == "Error")
            // Drain node 1: its pods go, the deployment recreates them on node 2.
            let evicted = try await site.drainNode("edge-1-node-1")
            #expect(evicted > 0)
            _ = try await Self.waitFor(client, "/api/v1/namespaces/default/pods") { list in
                let items = list["items"]?.arrayValue ?? []
                return items.count == 4 && items.allSatisfy { $0["spec"]?["nodeName"]?.stringValue == "edge-1-node-2" && $0["status"]?["phase"]?.stringValue == "Running" }
            }
            let node = try await client.request(.GET, "/api/v1/nodes/edge-1-node-1")
            #expect(node.json?["spec"]?["unschedulable"]?.boolValue == true)
            try await site.uncordonNode("edge-1-node-1")
            #expect(try await client.request(.GET, "/api/v1/nodes/edge-1-node-1").json?["spec"]?["unschedulable"] == nil)
            await #expect(throws: APIError.self) { try await site.crashPod(namespace: "default", name: "no-such-pod") }
        }
    }

    @Test func downedSiteRefusesConnectionsAndComesBackWithItsState() async throws {
        try await Self.withSite { (site: EdgeSite, client: TestClient) async throws in
            let configMap: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "keep"], "data": ["k": "v"]]
            #expect(try await client.request(.POST, "/api/v1/namespaces/default/configmaps", json: configMap).status == 201)
            let port = await site.port
            await site.down()
            #expect(await site.state == .down)
            try await TestClient(baseURL: "https://127.0.0.1:\(port)", caPEM: site.caPEM, token: site.adminToken).using { fresh in
                do {
                    _ = try await fresh.request(.GET, "/api/v1/namespaces/default/configmaps/keep")
                    Issue.record("a downed site answered")
                } catch {
                    #expect("\(error)".lowercased().contains("refused"), "\(error)")
                }
                try await site.up()
                #expect(await site.port == port)
                let back = try await fresh.request(.GET, "/api/v1/namespaces/default/configmaps/keep")
                #expect(back.status == 200)
                #expect(back.json?["data"]?["k"]?.stringValue == "v")
            }
        }
    }

    @Test func slowAndPartitionedSites() async throws {
        try await Self.withSite { (site: EdgeSite, client: TestClient) async throws in
            site.faults.setLatency(.milliseconds(300))
            let started = ContinuousClock.now
            #expect(try await client.request(.GET, "/version").status == 200)
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            site.faults.setLatency(.zero)
            site.faults.partition()
            do {
                _ = try await client.request(.GET, "/api/v1/nodes", timeout: .milliseconds(500))
                Issue.record("a partitioned site answered")
            } catch {
                // The request hangs until the client gives up.
            }
            site.faults.heal()
            #expect(try await client.request(.GET, "/api/v1/nodes").status == 200)
        }
    }

    @Test func twentySitesEachAnswerOnTheirOwnPortWithTheirOwnCredentials() async throws {
        let directory = Self.temporaryDirectory()
        let host = try SiteHost(directory: directory, specs: SiteProfile.generated(count: 20).resolvedSites, kubelet: .immediate)
        try await withCleanup({
            try await host.start()
            let summary = await host.summary()
            #expect(Set(summary.map(\.port)).count == 20)
            #expect(summary.allSatisfy { $0.state == "running" })
            for (index, site) in host.sites.enumerated() {
                #expect(FileManager.default.fileExists(atPath: site.kubeconfig.path))
                try await TestClient(baseURL: await site.baseURL, caPEM: site.caPEM, token: site.adminToken).using { (client: TestClient) async throws in
                    let nodes = try await client.request(.GET, "/api/v1/nodes")
                    #expect(nodes.status == 200)
                    #expect(nodes.json?["items"]?.arrayValue?.first?["metadata"]?["labels"]?["edge.flotilla.io/site"]?.stringValue == site.name)
                }
                // Another site's token is not accepted here.
                let neighbour = host.sites[(index + 1) % host.sites.count]
                try await TestClient(baseURL: await site.baseURL, caPEM: site.caPEM, token: neighbour.adminToken).using { (stranger: TestClient) async throws in
                    #expect(try await stranger.request(.GET, "/api/v1/nodes").status == 401)
                }
            }
            let index = try JSONValue.parse(Array(Data(contentsOf: directory.appendingPathComponent("sites.json"))))
            #expect(index.arrayValue?.count == 20)
        }, cleanup: {
            await host.stop()
            try? FileManager.default.removeItem(at: directory)
        })
    }
}
