import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaRuntime
import FlotillaStore
import FlotillaTestSupport
import Foundation
import KubeClient
import Synchronization
import Testing

/// Pull mode end to end: a control plane that never connects to the member, an agent that does everything from the
/// member's side over the API (HTTPS, its own execution namespace and Cluster only), and what a long partition
/// loses: nothing that runs on the member.
@Suite struct PullAgentTests {
    /// A control plane (its controllers over the store) and one simulated site whose agent talks to it over HTTPS.
    struct Setup {
        let controlPlane: RunningServer
        let client: StoreObjectClient
        let federation: Task<Void, Never>
        let site: EdgeSite
        let directory: URL
        let member: KubeClient
        let agentClient: KubeClient

        static let grace = Duration.seconds(3)

        static func start() async throws -> Setup {
            let controlPlane = try await RunningServer.start()
            let client = StoreObjectClient(store: controlPlane.store)
            let federation = Federation(controlPlane: client, configuration: Federation.Configuration(
                clusterStatus: ClusterStatusConfiguration(interval: .milliseconds(150), agentGracePeriod: grace)))
            let running = Task { await federation.run() }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-agent-\(UUID().uuidString)")
            let site = try EdgeSite(spec: SiteSpec(name: "edge-9", region: "eu", zone: "eu-b", nodes: 2, cpu: Quantity(4),
                memory: try Quantity(parsing: "8Gi"), pods: 110), directory: directory, kubelet: .immediate)
            try await site.start()
            return Setup(controlPlane: controlPlane, client: client, federation: running, site: site, directory: directory,
                         member: try KubeClient(kubeconfig: site.kubeconfig.path),
                         agentClient: try KubeClient(kubeconfig: controlPlane.data.adminKubeconfig.path))
        }

        func agent(status: ClusterStatusConfiguration) -> PullAgent {
            PullAgent(controlPlane: agentClient, member: member, configuration: PullAgent.Configuration(
                cluster: "edge-9", labels: ["tier": "edge"], region: "eu", zone: "eu-b", leaseInterval: .milliseconds(200),
                clusterStatus: status))
        }

        /// Registers and runs an agent until the task is cancelled (the agent process dies: nothing runs its shutdown).
        func startAgent(status: ClusterStatusConfiguration = ClusterStatusConfiguration(interval: .milliseconds(150))) async throws
            -> Task<Void, Never>
        {
            let agent = agent(status: status)
            try await agent.register()
            return Task { await agent.run() }
        }

        func cluster() async throws -> Cluster { try Cluster(json: try await client.get(Cluster.descriptor, namespace: nil, name: "edge-9")) }

        func stop() async {
            federation.cancel()
            await federation.value
            await agentClient.shutdown()
            await member.shutdown()
            await site.stop()
            await controlPlane.stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func deployment(_ name: String, replicas: Int) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name), "namespace": "default"],
         "spec": ["replicas": .integer(Int64(replicas)), "selector": ["matchLabels": ["app": .string(name)]],
                  "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [[
                      "name": "main", "image": "nginx:1", "resources": ["requests": ["cpu": "100m", "memory": "64Mi"]]]]]]]]
    }

    static func policy(_ names: [String]) -> JSONValue {
        ["apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": ["name": "to-edge-9", "namespace": "default"],
         "spec": ["resourceSelectors": .array(names.map { ["apiVersion": "apps/v1", "kind": "Deployment", "name": .string($0)] }),
                  "placement": ["clusterAffinity": ["clusterNames": ["edge-9"]]]]]
    }

    static func replicas(_ member: KubeClient, _ name: String) async -> (replicas: Int64, uid: String)? {
        guard let object = try? await member.get(Deployment.descriptor, namespace: "default", name: name),
              let replicas = object["spec"]?["replicas"]?.int64Value else { return nil }
        return (replicas, object.uid ?? "")
    }

    @Test func theAgentRegistersReportsAndAppliesWhatTheControlPlaneCannotReach() async throws {
        let setup = try await Setup.start()
        try await withCleanup({
            let agent = try await setup.startAgent()
            defer { agent.cancel() }
            _ = try await setup.client.create(Deployment.descriptor, Self.deployment("web", replicas: 2))
            _ = try await setup.client.create(PropagationPolicy.descriptor, Self.policy(["web"]))

            try await waitUntil("the Deployment on the member", seconds: 30) { await Self.replicas(setup.member, "web")?.replicas == 2 }
            var cluster = try await setup.cluster()
            try await waitUntil("the cluster Ready with its summaries") {
                cluster = try await setup.cluster()
                return cluster.isReady && cluster.status?.nodeSummary == NodeSummary(totalNum: 2, readyNum: 2)
                    && cluster.status?.resourceSummary?.allocated?["pods"] == Quantity(2)
            }
            // Registered as Pull, with no endpoint or credentials the control plane could use.
            #expect(cluster.spec.syncMode == "Pull" && cluster.spec.apiEndpoint == nil && cluster.spec.secretRef == nil)
            #expect(cluster.metadata.labels?["tier"] == "edge" && cluster.spec.region == "eu" && cluster.spec.zone == "eu-b")
            #expect(cluster.status?.apiEnablements?.contains { $0.groupVersion == "apps/v1" } == true)
            let lease = try Lease(json: try await setup.client.get(Lease.descriptor, namespace: "karmada-cluster", name: "edge-9"))
            #expect(lease.spec?.holderIdentity == "edge-9" && lease.spec?.leaseDurationSeconds == 1)

            // The agent reports the Work's status, and the control plane folds it into the binding.
            try await waitUntil("the binding's aggregated status from the agent", seconds: 30) {
                let binding = try await setup.client.get(ResourceBinding.descriptor, namespace: "default", name: "web-deployment")
                let entry = binding["status"]?["aggregatedStatus"]?.arrayValue?.first { $0["clusterName"] == "edge-9" }
                return entry?["applied"] == true && entry?["status"]?["readyReplicas"]?.int64Value == 2
            }
            // The control plane's execution controller leaves the Pull cluster's Works alone: no failed apply, ever.
            try await Task.sleep(for: .milliseconds(600))
            let works = try await setup.client.list(Work.descriptor, namespace: "karmada-es-edge-9", options: .everything).items
                .compactMap { try? Work(json: $0) }
            #expect(works.count == 1 && works.allSatisfy { $0.status?.conditions?[type: "Applied"]?.status == .true })
            let failures = try await setup.client.list(Event.descriptor, namespace: "karmada-es-edge-9", options: .everything).items
                .filter { $0["reason"] == "WorkApplyFailed" }
            #expect(failures.isEmpty, "\(failures)")
        }, cleanup: { await setup.stop() })
    }

    /// The agent dies for longer than the grace period (a partition, as far as the control plane can tell). Meanwhile
    /// one template is scaled and another deleted. A new agent, with nothing in memory, applies the change, removes
    /// the deleted one (its Work was being deleted) and deletes nothing else: the member's Deployment keeps its uid,
    /// and an object no Work names stays.
    @Test func anAgentBackFromALongPartitionReconcilesAndDeletesNothingElse() async throws {
        let setup = try await Setup.start()
        try await withCleanup({
            var agent = try await setup.startAgent()
            _ = try await setup.client.create(Deployment.descriptor, Self.deployment("web", replicas: 2))
            _ = try await setup.client.create(Deployment.descriptor, Self.deployment("old", replicas: 1))
            _ = try await setup.client.create(PropagationPolicy.descriptor, Self.policy(["web", "old"]))
            try await waitUntil("both Deployments on the member", seconds: 30) {
                let web = await Self.replicas(setup.member, "web"), old = await Self.replicas(setup.member, "old")
                return web?.replicas == 2 && old != nil
            }
            try await waitUntil("Ready") { try await setup.cluster().isReady }
            let uid = await Self.replicas(setup.member, "web")?.uid ?? ""
            // Something on the member that looks managed but that no Work names: an agent must not collect it.
            let stray: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "stray", "namespace": "default",
                "labels": ["karmada.io/managed": "true", "work.karmada.io/name": "web-gone"]], "data": ["k": "v"]]
            _ = try await setup.member.create(ConfigMap.descriptor, stray)
            // Every deletion on the member, from now on.
            let deleted = Mutex<[String]>([])
            let watch = Task {
                await Informer(client: setup.member, resource: Deployment.descriptor, logger: .init(label: "test")).run { event in
                    if case .deleted(let object) = event { deleted.withLock { $0.append(object.name ?? "") } }
                }
            }
            defer { watch.cancel() }

            agent.cancel()
            await agent.value
            // The agent's last renewal, as it wrote it: the control plane saw that change no earlier.
            let lease = try Lease(json: try await setup.client.get(Lease.descriptor, namespace: "karmada-cluster", name: "edge-9"))
            let lastRenewal = try #require(lease.spec?.renewTime.flatMap(Lease.time))
            var cluster = try await setup.cluster()
            try await waitUntil("Ready=Unknown with the unreachable taint", seconds: 20) {
                cluster = try await setup.cluster()
                return cluster.status?.conditions?[type: "Ready"]?.status == .unknown
                    && cluster.spec.taints?.contains { $0.key == "cluster.karmada.io/unreachable" && $0.effect == "NoSchedule" } == true
            }
            // Not before the grace period had passed since that renewal (however late the test looked).
            #expect(Date().timeIntervalSince(lastRenewal) >= Setup.grace.inSeconds)
            #expect(cluster.status?.conditions?[type: "Ready"]?.reason == "ClusterStatusUnknown")

            // While it is away: scale one, delete the other. Nobody applies either.
            var web = try await setup.client.get(Deployment.descriptor, namespace: "default", name: "web")
            web["spec"]?["replicas"] = 3
            _ = try await setup.client.update(Deployment.descriptor, web)
            try await setup.client.delete(Deployment.descriptor, namespace: "default", name: "old")
            try await waitUntil("the Work of the scaled Deployment updated, the other's being deleted", seconds: 20) {
                let works = try await setup.client.list(Work.descriptor, namespace: "karmada-es-edge-9", options: .everything).items
                let webWork = works.first { $0["metadata"]?["labels"]?["resourcebinding.karmada.io/name"] == "web-deployment"
                    || ($0["spec"]?["workload"]?["manifests"]?.arrayValue?.first?.name == "web") }
                let oldWork = works.first { $0["spec"]?["workload"]?["manifests"]?.arrayValue?.first?.name == "old" }
                return webWork?["spec"]?["workload"]?["manifests"]?.arrayValue?.first?["spec"]?["replicas"]?.int64Value == 3
                    && oldWork?["metadata"]?["deletionTimestamp"] != nil
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(await Self.replicas(setup.member, "web")?.replicas == 2, "nobody applied while the agent was away")

            agent = try await setup.startAgent()
            defer { agent.cancel() }
            try await waitUntil("the scale applied by the new agent", seconds: 30) { await Self.replicas(setup.member, "web")?.replicas == 3 }
            try await waitUntil("the deleted template's Deployment removed and its Work gone", seconds: 30) {
                let works = try await setup.client.list(Work.descriptor, namespace: "karmada-es-edge-9", options: .everything).items
                let old = await Self.replicas(setup.member, "old")
                return old == nil && works.count == 1
            }
            try await waitUntil("Ready again without the taint") {
                cluster = try await setup.cluster()
                return cluster.isReady && cluster.spec.taints == nil
            }
            #expect(await Self.replicas(setup.member, "web")?.uid == uid, "the member's Deployment was never replaced")
            #expect(deleted.withLock { $0 } == ["old"], "only the deleted template's Deployment went")
            #expect((try? await setup.member.get(ConfigMap.descriptor, namespace: "default", name: "stray")) != nil)
        }, cleanup: { await setup.stop() })
    }

    /// The control plane restarts while the agent runs (same data, same address). The agent's renewals and watches
    /// fail meanwhile; it carries on when the control plane is back: a change made after the restart reaches the
    /// member, the cluster stays Ready, and nothing on the member is deleted or replaced.
    @Test func theAgentCarriesOnAcrossAControlPlaneRestart() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-agent-cp-\(UUID().uuidString)")
        let sites = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-agent-site-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(at: sites)
        }
        func controlPlane(port: Int) async throws -> (RunningServer, Task<Void, Never>) {
            let server = try await RunningServer.start(dataDirectory: data, port: port)
            let federation = Federation(controlPlane: StoreObjectClient(store: server.store), configuration: Federation.Configuration(
                clusterStatus: ClusterStatusConfiguration(interval: .milliseconds(150), agentGracePeriod: Setup.grace)))
            return (server, Task { await federation.run() })
        }
        func stop(_ running: (RunningServer, Task<Void, Never>)) async {
            running.1.cancel()
            await running.1.value
            await running.0.stop()
        }
        let site = try EdgeSite(spec: SiteSpec(name: "edge-9", region: "eu", zone: "eu-b", nodes: 1, cpu: Quantity(4),
            memory: try Quantity(parsing: "8Gi"), pods: 110), directory: sites, kubelet: .immediate)
        try await site.start()
        let member = try KubeClient(kubeconfig: site.kubeconfig.path)
        var first: (RunningServer, Task<Void, Never>)? = try await controlPlane(port: 0)
        let port = first!.0.port
        let agentClient = try KubeClient(kubeconfig: first!.0.data.adminKubeconfig.path)
        let agent = PullAgent(controlPlane: agentClient, member: member, configuration: PullAgent.Configuration(
            cluster: "edge-9", leaseInterval: .milliseconds(200), clusterStatus: ClusterStatusConfiguration(interval: .milliseconds(150))))
        var second: (RunningServer, Task<Void, Never>)?
        var running: Task<Void, Never>?
        try await withCleanup({
            try await agent.register()
            running = Task { await agent.run() }
            do {
                let client = StoreObjectClient(store: first!.0.store)
                _ = try await client.create(Deployment.descriptor, Self.deployment("web", replicas: 2))
                _ = try await client.create(PropagationPolicy.descriptor, Self.policy(["web"]))
            }
            try await waitUntil("the Deployment on the member", seconds: 30) { await Self.replicas(member, "web")?.replicas == 2 }
            let uid = await Self.replicas(member, "web")?.uid ?? ""
            let deleted = Mutex<[String]>([])
            let watch = Task {
                await Informer(client: member, resource: Deployment.descriptor, logger: .init(label: "test")).run { event in
                    if case .deleted(let object) = event { deleted.withLock { $0.append(object.name ?? "") } }
                }
            }
            defer { watch.cancel() }

            await stop(first!)
            first = nil
            try await Task.sleep(for: .milliseconds(800))
            // The first store closes once the last of its users lets go (its controllers' background writers).
            let reopening = ContinuousClock.now + .seconds(10)
            while second == nil {
                do {
                    second = try await controlPlane(port: port)
                } catch where ContinuousClock.now < reopening && "\(error)".contains("another store has it open") {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            let again = StoreObjectClient(store: second!.0.store)
            var web = try await again.get(Deployment.descriptor, namespace: "default", name: "web")
            web["spec"]?["replicas"] = 3
            _ = try await again.update(Deployment.descriptor, web)
            try await waitUntil("the change made after the restart on the member", seconds: 30) {
                await Self.replicas(member, "web")?.replicas == 3
            }
            try await waitUntil("the binding's status from the agent again", seconds: 30) {
                let binding = try await again.get(ResourceBinding.descriptor, namespace: "default", name: "web-deployment")
                let entry = binding["status"]?["aggregatedStatus"]?.arrayValue?.first { $0["clusterName"] == "edge-9" }
                return entry?["status"]?["readyReplicas"]?.int64Value == 3
            }
            // Past the grace period the agent's renewals keep the cluster Ready.
            try await Task.sleep(for: Setup.grace + .milliseconds(500))
            let cluster = try Cluster(json: try await again.get(Cluster.descriptor, namespace: nil, name: "edge-9"))
            #expect(cluster.isReady && cluster.spec.taints == nil)
            #expect(await Self.replicas(member, "web")?.uid == uid)
            #expect(deleted.withLock { $0 }.isEmpty)
        }, cleanup: {
            running?.cancel()
            await running?.value
            if let first { await stop(first) }
            if let second { await stop(second) }
            await agentClient.shutdown()
            await member.shutdown()
            await site.stop()
        })
    }

    /// The agent's other peer, its member, goes down: the agent reports it NotReady (after its failure threshold)
    /// with the not-ready taint, while its Lease keeps the control plane from calling it Unknown; back up, it is
    /// Ready again and untainted, and what ran there still runs.
    @Test func anAgentReportsItsMemberDownAndBackUp() async throws {
        let setup = try await Setup.start()
        try await withCleanup({
            let agent = try await setup.startAgent(status: ClusterStatusConfiguration(interval: .milliseconds(150),
                failureThreshold: .milliseconds(800), probeTimeout: .milliseconds(400), successThreshold: .milliseconds(300)))
            defer { agent.cancel() }
            _ = try await setup.client.create(Deployment.descriptor, Self.deployment("web", replicas: 2))
            _ = try await setup.client.create(PropagationPolicy.descriptor, Self.policy(["web"]))
            try await waitUntil("the Deployment on the member", seconds: 30) { await Self.replicas(setup.member, "web")?.replicas == 2 }
            try await waitUntil("Ready") { try await setup.cluster().isReady }
            let uid = await Self.replicas(setup.member, "web")?.uid

            await setup.site.down()
            var cluster = try await setup.cluster()
            try await waitUntil("NotReady with the not-ready taint", seconds: 20) {
                cluster = try await setup.cluster()
                return cluster.status?.conditions?[type: "Ready"]?.status == .false
                    && cluster.spec.taints?.contains { $0.key == "cluster.karmada.io/not-ready" && $0.effect == "NoSchedule" } == true
            }
            #expect(cluster.status?.conditions?[type: "Ready"]?.reason == "ClusterNotReachable")
            // The agent is alive, so the control plane never says Unknown: the member's own state stands.
            try await Task.sleep(for: Setup.grace)
            cluster = try await setup.cluster()
            #expect(cluster.status?.conditions?[type: "Ready"]?.status == .false)
            #expect(cluster.spec.taints?.contains { $0.key == "cluster.karmada.io/unreachable" } != true)

            try await setup.site.up()
            try await waitUntil("Ready again without the taint", seconds: 20) {
                cluster = try await setup.cluster()
                return cluster.isReady && cluster.spec.taints == nil
            }
            #expect(await Self.replicas(setup.member, "web")?.uid == uid)
        }, cleanup: { await setup.stop() })
    }

    /// One party applies a cluster's Works: an agent does not take a Push cluster over, nor a join a Pull one.
    @Test func pushAndPullNeverShareACluster() async throws {
        let controlPlane = try await RunningServer.start()
        let client = StoreObjectClient(store: controlPlane.store)
        let member = try KubeClient(credentials: ClusterCredentials(server: "https://127.0.0.1:1"))
        try await withCleanup({
            _ = try await client.create(Cluster.descriptor, Cluster(metadata: ObjectMeta(name: "edge-1"),
                spec: ClusterSpec(syncMode: "Push", apiEndpoint: "https://127.0.0.1:1")).json())
            let agent = PullAgent(controlPlane: client, member: member, configuration: .init(cluster: "edge-1"))
            do throws(APIError) {
                try await agent.register()
                Issue.record("an agent took over a Push cluster")
            } catch {
                #expect(error.reason == .conflict && error.message.contains("Push mode"))
            }
            #expect(try Cluster(json: try await client.get(Cluster.descriptor, namespace: nil, name: "edge-1")).spec.syncMode == "Push")

            try await PullAgent(controlPlane: client, member: member, configuration: .init(cluster: "edge-2")).register()
            do throws(APIError) {
                try await ClusterJoin.join(name: "edge-2", member: ClusterCredentials(server: "https://127.0.0.1:1"), controlPlane: client)
                Issue.record("a join took over a Pull cluster")
            } catch {
                #expect(error.reason == .conflict && error.message.contains("Pull mode"))
            }
            // A bad name is refused before anything is written.
            do throws(APIError) {
                try await PullAgent(controlPlane: client, member: member, configuration: .init(cluster: "Edge_3")).register()
                Issue.record("a bad name was registered")
            } catch {
                #expect(error.reason == .invalid)
            }
        }, cleanup: {
            await member.shutdown()
            await controlPlane.stop()
        })
    }
}
