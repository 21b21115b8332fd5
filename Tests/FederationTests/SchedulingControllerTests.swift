import FlotillaAPI
import FlotillaStore
import FlotillaTestSupport
import KubeClient
import Testing
@testable import FlotillaControllers
@testable import FlotillaRuntime

/// The scheduling loop's choice of which bindings a pass decides, driven pass by pass against an in-memory store.
@Suite struct SchedulingControllerTests {
    static let objects = """
        apiVersion: cluster.karmada.io/v1alpha1
        kind: Cluster
        metadata: {name: edge-1}
        spec: {syncMode: Push}
        ---
        apiVersion: cluster.karmada.io/v1alpha1
        kind: Cluster
        metadata: {name: edge-3}
        spec: {syncMode: Push}
        ---
        apiVersion: mec.flotilla.io/v1alpha1
        kind: LatencyMatrix
        metadata: {name: city}
        spec:
          areas:
          - {name: harbour, rttMs: {edge-1: 8, edge-3: 25}}
          - {name: stadium, rttMs: {edge-1: 25, edge-3: 8}}
        ---
        apiVersion: mec.flotilla.io/v1alpha1
        kind: AppProfile
        metadata: {name: game, namespace: default}
        spec:
          workloads: [{apiVersion: apps/v1, kind: Deployment, name: game}]
          latencyBudgetMs: 30
          placement: {replicaDivision: DemandWeighted}
          demand: [{area: harbour, ues: 40}]
        ---
        apiVersion: work.karmada.io/v1alpha2
        kind: ResourceBinding
        metadata: {name: game-deployment, namespace: default}
        spec:
          resource: {apiVersion: apps/v1, kind: Deployment, namespace: default, name: game}
          replicas: 4
          placement:
            replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}
        """

    /// A store holding `objects`, and the snapshot an informer-fed loop would hold of it.
    static func start() async throws -> (StoreObjectClient, SchedulingController) {
        let client = StoreObjectClient(store: ResourceStore.memory())
        _ = try await client.create(Namespace.descriptor, Namespace(name: "default").json())
        for object in try YAMLCodec.decodeDocuments(objects) {
            let descriptor = try #require(ResourceRegistry.controlPlane.descriptor(apiVersion: object["apiVersion"]?.stringValue ?? "", kind: object.kind ?? ""))
            _ = try await client.create(descriptor, object)
        }
        return (client, SchedulingController(client: client))
    }

    static func snapshot(_ client: StoreObjectClient) async throws -> ObjectSnapshot {
        var snapshot = ObjectSnapshot()
        for resource in [ResourceBinding.descriptor, Cluster.descriptor, AppProfile.descriptor, LatencyMatrix.descriptor, Deployment.descriptor] {
            var set = WatchedSet()
            set.apply(.synced(try await client.list(resource, namespace: nil, options: .everything).items))
            snapshot.sets[resource.plural] = set
        }
        return snapshot
    }

    static func placement(_ client: StoreObjectClient) async throws -> [String: Int32] {
        let binding = try ResourceBinding(json: try await client.get(ResourceBinding.descriptor, namespace: "default", name: "game-deployment"))
        return Dictionary(uniqueKeysWithValues: (binding.spec.clusters ?? []).map { ($0.name, $0.replicas ?? 0) })
    }

    @Test func demandMovesReplicasAndAFullPassAppliesDemandAnEarlierPassMissed() async throws {
        let (client, controller) = try await Self.start()
        _ = await controller.reconcile(try await Self.snapshot(client), Changes(full: true))
        #expect(try await Self.placement(client) == ["edge-1": 4])

        // The users walk to the stadium. Say the pass that saw this change lost its write race to another controller:
        // the retry is a full pass with no AppProfile among its changes, and must still place by the new demand.
        _ = try await client.mergePatch(AppProfile.descriptor, namespace: "default", name: "game",
            ["spec": ["demand": [["area": "harbour", "ues": 4], ["area": "stadium", "ues": 36]]]])
        _ = await controller.reconcile(try await Self.snapshot(client), Changes(full: true))
        #expect(try await Self.placement(client) == ["edge-3": 4])
    }

    /// The mobility service reports demand in the AppProfile's status: a pass that sees only that status change
    /// re-divides the replicas (a status-only change is not a spec change, but it is where the users are).
    @Test func demandInTheStatusMovesReplicas() async throws {
        let (client, controller) = try await Self.start()
        _ = await controller.reconcile(try await Self.snapshot(client), Changes(full: true))
        #expect(try await Self.placement(client) == ["edge-1": 4])
        var profile = try AppProfile(json: try await client.get(AppProfile.descriptor, namespace: "default", name: "game"))
        profile.status = AppProfileStatus(demand: [AreaDemand(area: "harbour", ues: 4), AreaDemand(area: "stadium", ues: 36)])
        _ = try await client.updateStatus(AppProfile.descriptor, profile.json())
        _ = await controller.reconcile(try await Self.snapshot(client), Changes(AppProfile.descriptor, keys: ["default/game"], statusOnly: true))
        #expect(try await Self.placement(client) == ["edge-3": 4])
    }

    @Test func aPassWithNothingNewLeavesAPlacedBindingAlone() async throws {
        let (client, controller) = try await Self.start()
        _ = await controller.reconcile(try await Self.snapshot(client), Changes(full: true))
        let before = try await client.get(ResourceBinding.descriptor, namespace: "default", name: "game-deployment")
        _ = await controller.reconcile(try await Self.snapshot(client), Changes(full: true))
        _ = await controller.reconcile(try await Self.snapshot(client), Changes(full: false))
        let after = try await client.get(ResourceBinding.descriptor, namespace: "default", name: "game-deployment")
        #expect(after["metadata"]?["resourceVersion"] == before["metadata"]?["resourceVersion"])
    }

    /// spec.clusters, the observed generation and the Scheduled condition land in one write on the store: the
    /// binding's resourceVersion is the first revision after the snapshot's.
    @Test func aDecisionIsOneWrite() async throws {
        let (client, controller) = try await Self.start()
        let listed = try await client.list(ResourceBinding.descriptor, namespace: nil, options: .everything).resourceVersion
        _ = await controller.reconcile(try await Self.snapshot(client), Changes(full: true))
        let stored = try await client.get(ResourceBinding.descriptor, namespace: "default", name: "game-deployment")
        #expect(stored.resourceVersion == String((Int64(listed) ?? 0) + 1))
        let binding = try ResourceBinding(json: stored)
        #expect(binding.spec.clusters == [TargetCluster(name: "edge-1", replicas: 4)])
        #expect(binding.metadata.generation == 2)
        #expect(binding.status?.schedulerObservedGeneration == 2)
        #expect(binding.status?.conditions?[type: "Scheduled"]?.status == .true)
    }

    /// A decision that places says where in an event; one that cannot says why, in the condition and a warning event.
    @Test func decisionsAreExplainedByEvents() async throws {
        let (client, controller) = try await Self.start()
        var nowhere = try ResourceBinding(json: try await client.get(ResourceBinding.descriptor, namespace: "default", name: "game-deployment"))
        nowhere.metadata = ObjectMeta(name: "nowhere-deployment", namespace: "default")
        nowhere.spec.resource.name = "nowhere"
        nowhere.spec.placement?.clusterAffinity = ClusterAffinity(clusterNames: ["edge-9"])
        _ = try await client.create(nowhere)
        _ = await controller.reconcile(try await Self.snapshot(client), Changes(full: true))

        let failed = try ResourceBinding(json: try await client.get(ResourceBinding.descriptor, namespace: "default", name: "nowhere-deployment"))
        let condition = try #require(failed.status?.conditions?[type: "Scheduled"])
        #expect(condition.status == .false && condition.reason == "NoClusterFit")
        var events: [JSONValue] = []
        try await waitUntil("both events") {
            events = try await client.list(Event.descriptor, namespace: "default", options: .everything).items
            return events.count >= 2
        }
        func event(about name: String) -> JSONValue? { events.first { $0["involvedObject"]?["name"]?.stringValue == name } }
        #expect(event(about: "game-deployment")?["reason"] == "ScheduleBindingSucceed")
        #expect(event(about: "game-deployment")?["message"] == "Binding has been scheduled to edge-1:4")
        #expect(event(about: "nowhere-deployment")?["type"] == "Warning")
        #expect(event(about: "nowhere-deployment")?["reason"] == "ScheduleBindingFailed")
        #expect(event(about: "nowhere-deployment")?["message"]?.stringValue == condition.message)
    }

    @Test func overTheAPITheResultTakesTwoWritesAndReadsTheSame() async throws {
        let (store, _) = try await Self.start()
        let controller = SchedulingController(client: InterceptingClient(inner: store))
        _ = await controller.reconcile(try await Self.snapshot(store), Changes(full: true))
        let binding = try ResourceBinding(json: try await store.get(ResourceBinding.descriptor, namespace: "default", name: "game-deployment"))
        #expect(binding.spec.clusters == [TargetCluster(name: "edge-1", replicas: 4)])
        #expect(binding.metadata.generation == 2)
        #expect(binding.status?.schedulerObservedGeneration == 2)
        #expect(binding.status?.conditions?[type: "Scheduled"]?.status == .true)
        // Settled: a second pass decides nothing.
        let before = binding.metadata.resourceVersion
        _ = await controller.reconcile(try await Self.snapshot(store), Changes(full: false))
        #expect(try await store.get(ResourceBinding.descriptor, namespace: "default", name: "game-deployment").resourceVersion == before)
    }
}
