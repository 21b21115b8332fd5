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
}
