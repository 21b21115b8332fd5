import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaStore
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// The cluster-status controller against a simulated site: exact resource accounting, the grace period, the
/// not-ready taint, and recovery.
@Suite struct ClusterStatusTests {
    static func waitFor(_ what: String, seconds: Double = 20, _ condition: () async throws -> Bool) async throws {
        try await waitUntil(what, seconds: seconds, every: .milliseconds(50), condition)
    }

    @Test func statusMatchesTheMemberAndFollowsItsHealth() async throws {
        let controlPlane = try await RunningServer.start()
        let client = StoreObjectClient(store: controlPlane.store)
        let federation = Federation(controlPlane: client, configuration: Federation.Configuration(
            clusterStatus: ClusterStatusConfiguration(interval: .milliseconds(150), failureThreshold: .milliseconds(1200),
                probeTimeout: .milliseconds(400), discoveryInterval: .seconds(60), successThreshold: .milliseconds(900)),
            memberPolicy: ClientPolicy(connectTimeout: .milliseconds(400), requestTimeout: .seconds(2), retries: 1)))
        let running = Task { await federation.run() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-cs-\(UUID().uuidString)")
        let site = try EdgeSite(spec: SiteSpec(name: "edge-1", region: "eu", zone: "eu-a", nodes: 2, cpu: Quantity(4),
            memory: try Quantity(parsing: "8Gi"), pods: 110), directory: directory, kubelet: .immediate)
        try await site.start()
        defer { try? FileManager.default.removeItem(at: directory) }

        let member = try KubeClient(kubeconfig: site.kubeconfig.path)
        try await withCleanup({
            try await ClusterJoin.join(name: "edge-1", member: try KubeconfigFile.load(path: site.kubeconfig.path),
                options: ClusterJoin.Options(region: "eu", zone: "eu-a"), controlPlane: client)
            // Three bound pods of 500m / 256Mi, and one of 64 cpu that fits nowhere (allocating).
            func deployment(_ name: String, replicas: Int, cpu: String, memory: String) -> JSONValue {
                ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name), "namespace": "default"],
                 "spec": ["replicas": .integer(Int64(replicas)), "selector": ["matchLabels": ["app": .string(name)]],
                          "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [[
                              "name": "main", "image": "nginx:1", "resources": ["requests": ["cpu": .string(cpu), "memory": .string(memory)]]]]]]]]
            }
            _ = try await member.create(Deployment.descriptor, deployment("web", replicas: 3, cpu: "500m", memory: "256Mi"))
            _ = try await member.create(Deployment.descriptor, deployment("huge", replicas: 1, cpu: "64", memory: "1Gi"))

            let expected = ResourceSummary(
                allocatable: ["cpu": Quantity(8), "memory": try Quantity(parsing: "16Gi"), "pods": Quantity(220),
                              "ephemeral-storage": try Quantity(parsing: "200Gi")],
                allocating: ["cpu": Quantity(64), "memory": try Quantity(parsing: "1Gi"), "pods": Quantity(1)],
                allocated: ["cpu": Quantity(milli: 1500), "memory": try Quantity(parsing: "768Mi"), "pods": Quantity(3)])
            var cluster = Cluster(metadata: ObjectMeta(), spec: ClusterSpec())
            try await Self.waitFor("the resource summary") {
                cluster = try Cluster(json: try await client.get(Cluster.descriptor, namespace: nil, name: "edge-1"))
                return cluster.status?.resourceSummary == expected
            }
            // Ready (a probe that timed out under a loaded machine may have made it NotReady for a moment; it must
            // then answer for the success threshold before it is Ready again).
            try await Self.waitFor("Ready") {
                cluster = try Cluster(json: try await client.get(Cluster.descriptor, namespace: nil, name: "edge-1"))
                return cluster.isReady
            }
            #expect(cluster.status?.nodeSummary == NodeSummary(totalNum: 2, readyNum: 2))
            #expect(cluster.status?.kubernetesVersion?.hasPrefix("v1.") == true)
            #expect(cluster.status?.apiEnablements?.contains { $0.groupVersion == "apps/v1" && $0.resources?.contains { $0.name == "deployments" } == true } == true)
            #expect(cluster.spec.region == "eu" && cluster.spec.secretRef?.namespace == "karmada-cluster")

            // Down: still Ready within the grace period, then NotReady with the taint; back up: Ready, untainted.
            // Taken before `down()`: a probe can fail while the site is still shutting down, and under load
            // `down()` may return well after that first failure.
            let downAt = ContinuousClock.now
            await site.down()
            try await Self.waitFor("NotReady") {
                cluster = try Cluster(json: try await client.get(Cluster.descriptor, namespace: nil, name: "edge-1"))
                return cluster.status?.conditions?[type: "Ready"]?.status == .false
            }
            #expect(ContinuousClock.now - downAt >= .milliseconds(1200))
            #expect(cluster.status?.conditions?[type: "Ready"]?.reason == "ClusterNotReachable")
            try await Self.waitFor("the not-ready taint") {
                cluster = try Cluster(json: try await client.get(Cluster.descriptor, namespace: nil, name: "edge-1"))
                return cluster.spec.taints?.contains { $0.key == "cluster.karmada.io/not-ready" && $0.effect == "NoSchedule" } == true
            }
            try await site.up()
            let upAt = ContinuousClock.now
            try await Self.waitFor("Ready again without the taint") {
                cluster = try Cluster(json: try await client.get(Cluster.descriptor, namespace: nil, name: "edge-1"))
                return cluster.isReady && cluster.spec.taints == nil
            }
            // Not before it kept answering for the success threshold: a flapping link stays NotReady.
            #expect(ContinuousClock.now - upAt >= .milliseconds(900))
            // Each change of readiness is an event on the cluster (in the default namespace, as Karmada writes them).
            try await Self.waitFor("the readiness events") {
                let events = try await client.list(Event.descriptor, namespace: "default", options: .everything).items
                    .filter { $0["involvedObject"]?["name"] == "edge-1" && $0["source"]?["component"] == "cluster-status-controller" }
                let reasons = events.compactMap { $0["reason"]?.stringValue }
                return reasons.contains("ClusterNotReady") && reasons.filter { $0 == "ClusterReady" }.count >= 2
                    && events.first { $0["reason"] == "ClusterNotReady" }?["type"] == "Warning"
            }
        }, cleanup: {
            running.cancel()
            await running.value
            await member.shutdown()
            await site.stop()
            await controlPlane.stop()
        })
    }
}
