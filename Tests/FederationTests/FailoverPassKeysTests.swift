import FlotillaAPI
import FlotillaStore
import FlotillaTestSupport
import Testing
@testable import FlotillaControllers
@testable import FlotillaRuntime

/// A failover pass for some bindings looks up just those (`ObjectSnapshot.typed(_:key:)`), of either binding kind;
/// the others wait for their own event or a full pass. Listing every binding on each binding's status report made
/// the fleet's placements slow down as they accumulated.
@Suite struct FailoverPassKeysTests {
    static func snapshot(_ client: StoreObjectClient) async throws -> ObjectSnapshot {
        var snapshot = ObjectSnapshot()
        for resource in [ResourceBinding.descriptor, ClusterResourceBinding.descriptor, Cluster.descriptor] {
            var set = WatchedSet()
            set.apply(.synced(try await client.list(resource, namespace: nil, options: .everything).items))
            snapshot.sets[resource.plural] = set
        }
        return snapshot
    }

    /// edge-1 is unreachable with a NoExecute taint; a binding runs on it and edge-2 and does not tolerate it.
    static func fleetWithATaintedCluster() async throws -> StoreObjectClient {
        let client = StoreObjectClient(store: ResourceStore.memory())
        _ = try await client.create(FailoverPlanTests.cluster("edge-1", ready: false,
                                                              taints: [Taint(key: "cluster.karmada.io/unreachable", effect: "NoExecute")]))
        _ = try await client.create(FailoverPlanTests.cluster("edge-2"))
        _ = try await client.create(FailoverPlanTests.binding([("edge-1", 3), ("edge-2", 3)]))
        return client
    }

    static func targets(_ client: StoreObjectClient, _ resource: ResourceDescriptor, _ namespace: String?, _ name: String) async throws -> [String] {
        let stored = try await client.get(resource, namespace: namespace, name: name)
        return (stored["spec"]?["clusters"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }

    @Test func aPassForSomeBindingsActsOnThoseAndAFullPassOnTheRest() async throws {
        let client = try await Self.fleetWithATaintedCluster()
        // A cluster binding on the same clusters, which does not tolerate the taint either.
        var clusterBinding = ClusterResourceBinding(metadata: ObjectMeta(name: "games-namespace"),
            spec: ResourceBindingSpec(resource: ObjectReference(apiVersion: "v1", kind: "Namespace", namespace: nil, name: "games", uid: nil)))
        clusterBinding.spec.clusters = [TargetCluster(name: "edge-1", replicas: 0), TargetCluster(name: "edge-2", replicas: 0)]
        _ = try await client.create(clusterBinding)
        let controller = FailoverController(client: client)

        // A pass for the cluster binding alone (its key is `/name`).
        _ = await controller.reconcile(try await Self.snapshot(client), Changes(ClusterResourceBinding.descriptor, keys: ["/games-namespace"]))
        #expect(try await Self.targets(client, ClusterResourceBinding.descriptor, nil, "games-namespace") == ["edge-2"])
        #expect(try await Self.targets(client, ResourceBinding.descriptor, "default", "arena-deployment") == ["edge-1", "edge-2"],
                "a binding that did not change waits")

        // A status report of the namespaced binding reaches it; a key that is gone is skipped.
        _ = await controller.reconcile(try await Self.snapshot(client),
            Changes(ResourceBinding.descriptor, keys: ["default/arena-deployment", "default/gone"], statusOnly: true))
        #expect(try await Self.targets(client, ResourceBinding.descriptor, "default", "arena-deployment") == ["edge-2"])

        // A full pass finds nothing more to do.
        _ = await controller.reconcile(try await Self.snapshot(client), Changes(full: true))
        #expect(try await Self.targets(client, ResourceBinding.descriptor, "default", "arena-deployment") == ["edge-2"])
    }

    @Test func aFullPassActsOnEveryBinding() async throws {
        let client = try await Self.fleetWithATaintedCluster()
        _ = await FailoverController(client: client).reconcile(try await Self.snapshot(client), Changes(full: true))
        #expect(try await Self.targets(client, ResourceBinding.descriptor, "default", "arena-deployment") == ["edge-2"])
    }
}
