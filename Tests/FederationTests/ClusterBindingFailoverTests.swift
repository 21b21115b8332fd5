import FlotillaAPI
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing
@testable import FlotillaControllers

/// The failover controller takes ClusterResourceBindings (Namespaces, CRDs) as it takes ResourceBindings: a
/// NoExecute taint the placement does not tolerate evicts the cluster, and the write goes to the cluster binding.
@Suite struct ClusterBindingFailoverTests {
    @Test func aClusterBindingIsEvictedFromAClusterWithAnUntoleratedNoExecuteTaint() async throws {
        let store = ResourceStore.memory()
        let client = StoreObjectClient(store: store)
        _ = try await client.create(FailoverPlanTests.cluster("edge-1", ready: false,
                                                              taints: [Taint(key: "cluster.karmada.io/unreachable", effect: "NoExecute")]))
        _ = try await client.create(FailoverPlanTests.cluster("edge-2"))
        var binding = ClusterResourceBinding(metadata: ObjectMeta(name: "games-namespace"),
            spec: ResourceBindingSpec(resource: ObjectReference(apiVersion: "v1", kind: "Namespace", namespace: nil, name: "games", uid: nil)))
        binding.spec.clusters = [TargetCluster(name: "edge-1", replicas: 0), TargetCluster(name: "edge-2", replicas: 0)]
        _ = try await client.create(binding)
        let loop = FailoverController(client: client).loop()
        let running = Task { await loop.run() }
        defer { running.cancel() }
        try await waitUntil("edge-1 evicted from the cluster binding", seconds: 30) {
            let stored = try await client.get(ClusterResourceBinding.descriptor, namespace: nil, name: "games-namespace")
            let clusters = (stored["spec"]?["clusters"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            let tasks = (stored["spec"]?["gracefulEvictionTasks"]?.arrayValue ?? []).compactMap { $0["fromCluster"]?.stringValue }
            return clusters == ["edge-2"] && tasks == ["edge-1"]
        }
        #expect(try await store.list(ResourceBinding.descriptor.groupResource, options: .init()).items.isEmpty, "no namespaced binding was made")
    }
}
