import EdgeClusterSim
import FlotillaAPI
import Foundation
import Testing

/// Stock kubectl against a simulated edge site, as an operator would use a real member cluster.
@Suite(.serialized) struct MemberSiteKubectlTests {
    static let manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: game, labels: {app: game}}
        spec:
          replicas: 3
          selector: {matchLabels: {app: game}}
          template:
            metadata: {labels: {app: game}}
            spec:
              containers:
              - name: server
                image: flotilla/echo:1
                ports: [{name: http, containerPort: 8080}]
                resources: {requests: {cpu: 250m, memory: 128Mi}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: game}
        spec:
          selector: {app: game}
          ports: [{name: http, port: 80, targetPort: http}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: too-big}
        spec:
          replicas: 1
          selector: {matchLabels: {app: too-big}}
          template:
            metadata: {labels: {app: too-big}}
            spec:
              containers:
              - {name: main, image: nginx:1.25, resources: {requests: {cpu: "100", memory: 1Gi}}}
        """

    @Test(arguments: ["1.27", "1.33"])
    func kubectlDrivesASite(version: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-member-\(UUID().uuidString)")
        let site = try EdgeSite(spec: SiteSpec(name: "edge-k", region: "eu", zone: "eu-a", nodes: 3, cpu: Quantity(4),
            memory: try Quantity(parsing: "8Gi"), pods: 110), directory: directory,
            kubelet: KubeletConfiguration(startupDelay: .milliseconds(200), jitter: .milliseconds(100)))
        try await site.start()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubectl = try Kubectl(version: version, kubeconfig: site.kubeconfig.path)
        do {
            let nodes = try await kubectl.run(["get", "nodes"])
            #expect(nodes.status == 0, "\(nodes.combined)")
            #expect(nodes.stdout.hasPrefix("NAME"))
            #expect(nodes.stdout.contains("edge-k-node-1   Ready    <none>"), "\(nodes.stdout)")
            let labels = try await kubectl.run(["get", "nodes", "-L", "topology.kubernetes.io/zone"])
            #expect(labels.stdout.contains("eu-a"))

            let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.manifest)
            #expect(applied.status == 0, "\(applied.combined)")
            #expect(applied.stdout.contains("deployment.apps/game created"))
            var rollout = try await kubectl.run(["rollout", "status", "deployment/game", "--timeout=30s"])
            #expect(rollout.status == 0, "\(rollout.combined)")
            #expect(rollout.stdout.contains("successfully rolled out"))

            let scaled = try await kubectl.run(["scale", "deployment/game", "--replicas=6"])
            #expect(scaled.status == 0, "\(scaled.combined)")
            rollout = try await kubectl.run(["rollout", "status", "deployment/game", "--timeout=30s"])
            #expect(rollout.status == 0, "\(rollout.combined)")
            let deployments = try await kubectl.run(["get", "deployment", "game"])
            #expect(deployments.stdout.contains("6/6"), "\(deployments.stdout)")
            let pods = try await kubectl.run(["get", "pods", "-l", "app=game", "-o", "wide"])
            #expect(pods.stdout.components(separatedBy: "\n").filter { $0.contains("Running") }.count == 6, "\(pods.stdout)")
            let endpoints = try await kubectl.run(["get", "endpoints", "game", "-o", "jsonpath={.subsets[*].addresses[*].ip}"])
            #expect(endpoints.stdout.split(separator: " ").count == 6, "\(endpoints.stdout)")

            // The pod that fits nowhere stays Pending and says why.
            var reason = ""
            for _ in 0..<100 {
                reason = try await kubectl.run(["get", "pods", "-l", "app=too-big", "-o",
                    "jsonpath={.items[0].status.phase} {.items[0].status.conditions[?(@.type==\"PodScheduled\")].reason}: {.items[0].status.conditions[?(@.type==\"PodScheduled\")].message}"]).stdout
                if reason.contains("Unschedulable") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(reason == "Pending Unschedulable: 0/3 nodes are available: 3 Insufficient cpu.", "\(reason)")
            let table = try await kubectl.run(["get", "pods", "-l", "app=too-big"])
            #expect(table.stdout.contains("Pending"))

            // kubectl top reads metrics.k8s.io: idle pods, and one the admin endpoint says is busy.
            let busy = try await kubectl.run(["get", "pods", "-l", "app=game", "-o", "jsonpath={.items[0].metadata.name}"]).stdout
            await site.setUsage(namespace: "default", pod: busy, usage: WorkloadUsage(cpu: try Quantity(parsing: "400m"),
                                                                                        memory: try Quantity(parsing: "128Mi")))
            let top = try await kubectl.run(["top", "pods", "-l", "app=game"])
            #expect(top.status == 0, "\(top.combined)")
            let busyRow = top.stdout.split(separator: "\n").first { $0.hasPrefix(busy) }.map { $0.split(separator: " ").map(String.init) }
            #expect(busyRow == [busy, "400m", "128Mi"], "\(top.stdout)")
            #expect(top.stdout.split(separator: "\n").count == 7, "a header and six pods: \(top.stdout)")
            let topNodes = try await kubectl.run(["top", "nodes"])
            #expect(topNodes.status == 0 && topNodes.stdout.contains("edge-k-node-1"), "\(topNodes.combined)")

            let deleted = try await kubectl.run(["delete", "-f", "-"], stdin: Self.manifest)
            #expect(deleted.status == 0, "\(deleted.combined)")
            var remaining = ""
            for _ in 0..<100 {
                remaining = try await kubectl.run(["get", "pods,endpoints", "-o", "name"]).stdout
                if remaining.isEmpty { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(remaining.isEmpty, "left behind: \(remaining)")
        } catch {
            await site.stop()
            throw error
        }
        await site.stop()
    }

    /// custom.metrics.k8s.io on a site, as prometheus-adapter serves it: the game servers' `flotilla_game_players`
    /// scraped from their `/metrics` when asked, for the players that really joined through the Service.
    @Test func aSiteServesItsGameServersPlayersAsCustomMetrics() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-member-\(UUID().uuidString)")
        let site = try EdgeSite(spec: SiteSpec(name: "edge-c", region: "eu", zone: "eu-a", nodes: 1, cpu: Quantity(4),
            memory: try Quantity(parsing: "8Gi"), pods: 110), directory: directory,
            kubelet: KubeletConfiguration(startupDelay: .milliseconds(100), jitter: .milliseconds(50)))
        try await site.start()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubectl = try Kubectl(version: "1.33", kubeconfig: site.kubeconfig.path)
        do {
            let applied = try await kubectl.run(["apply", "-f", "-"], stdin: """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: game}
                spec:
                  replicas: 2
                  selector: {matchLabels: {app: game}}
                  template:
                    metadata: {labels: {app: game}}
                    spec: {containers: [{name: server, image: "flotilla/mobile-game:1", ports: [{name: http, containerPort: 7777}]}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: game}
                spec: {selector: {app: game}, ports: [{name: http, port: 7777, targetPort: 7777}]}
                """)
            #expect(applied.status == 0, "\(applied.combined)")
            #expect(try await kubectl.run(["rollout", "status", "deployment/game", "--timeout=30s"]).status == 0)
            let path = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/flotilla_game_players"
            var idle = try await kubectl.run(["get", "--raw", path + "?labelSelector=app%3Dgame"])
            #expect(idle.status == 0 && idle.stdout.contains("\"kind\":\"MetricValueList\""), "\(idle.combined)")
            #expect(Self.values(idle.stdout) == [0, 0], "\(idle.stdout)")
            for player in 1...3 {
                let joined = try await kubectl.run(["create", "--raw", "/api/v1/namespaces/default/services/game:http/proxy/sessions/\(player)", "-f", "-"], stdin: "{}")
                #expect(joined.status == 0, "\(joined.combined)")
            }
            idle = try await kubectl.run(["get", "--raw", path])
            #expect(Self.values(idle.stdout).reduce(0, +) == 3, "three players joined: \(idle.stdout)")
            // One pod by name; discovery lists the metric; the group document.
            let pod = try await kubectl.run(["get", "pods", "-l", "app=game", "-o", "jsonpath={.items[0].metadata.name}"]).stdout
            let one = try await kubectl.run(["get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/\(pod)/flotilla_game_players"])
            #expect(one.status == 0 && Self.values(one.stdout).count == 1 && one.stdout.contains(pod), "\(one.combined)")
            let discovery = try await kubectl.run(["get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2"])
            #expect(discovery.stdout.contains("pods/flotilla_game_players"), "\(discovery.stdout)")
            // Bad input: a selector that does not parse (400), a kind that is not pods (404), a metric no pod has (404 by name).
            let bad = try await kubectl.run(["get", "--raw", path + "?labelSelector=app%3D%3D%3D"])
            #expect(bad.status != 0 && bad.stderr.contains("labelSelector"), "\(bad.combined)")
            let other = try await kubectl.run(["get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/*/x"])
            #expect(other.status != 0 && other.stderr.contains("NotFound"), "\(other.combined)")
            let unknown = try await kubectl.run(["get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/\(pod)/no_such_metric"])
            #expect(unknown.status != 0 && unknown.stderr.contains("NotFound"), "\(unknown.combined)")
        } catch {
            await site.stop()
            throw error
        }
        await site.stop()
    }

    /// The values of a MetricValueList, sorted.
    static func values(_ text: String) -> [Double] {
        guard let list = try? JSONValue.parse(Array(text.utf8)) else { return [] }
        return CustomMetrics.items(of: list).map { Double($0.value.nanos) / 1e9 }.sorted()
    }
}
