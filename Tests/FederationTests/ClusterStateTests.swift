import FlotillaAPI
@testable import FlotillaScheduler
import Testing
@testable import FlotillaControllers
@testable import FlotillaRuntime

/// The scheduling loop's view of the clusters, kept from each pass's changed keys: what the filters see decides
/// whether every binding is decided again; a new resource summary changes the views but not that.
@Suite struct ClusterStateTests {
    static func cluster(_ name: String, version: Int, ready: Bool = true, cpu: String = "8") -> JSONValue {
        ["apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
         "metadata": ["name": .string(name), "resourceVersion": .string(String(version)), "uid": .string("uid-\(name)")],
         "spec": ["syncMode": "Push"],
         "status": ["conditions": [["type": "Ready", "status": .string(ready ? "True" : "False"), "reason": "Probe", "message": ""]],
                    "resourceSummary": ["allocatable": ["cpu": .string(cpu)]]]]
    }

    static func snapshot(_ clusters: [JSONValue]) -> ObjectSnapshot {
        var snapshot = ObjectSnapshot()
        var set = WatchedSet()
        set.apply(.synced(clusters))
        snapshot.sets[Cluster.descriptor.plural] = set
        return snapshot
    }

    static func names(_ snapshot: ClusterSnapshot) -> [String] { snapshot.views.map(\.name) }

    @Test func theFirstUpdateReadsEveryClusterWhateverItIsGiven() async {
        let state = ClusterState()
        #expect(await state.update(Self.snapshot([Self.cluster("edge-1", version: 1), Self.cluster("edge-2", version: 1)]), changed: ["/edge-2"]))
        #expect(Self.names(await state.current()) == ["edge-1", "edge-2"])
    }

    @Test func onlyTheNamedClustersAreLookedAtAndOnlyFilterChangesCount() async {
        let state = ClusterState()
        let base = [Self.cluster("edge-2", version: 1), Self.cluster("edge-1", version: 1)]
        #expect(await state.update(Self.snapshot(base), changed: nil), "the first pass sees everything new")
        let first = await state.current()
        #expect(Self.names(first) == ["edge-1", "edge-2"])
        #expect(await state.current() === first, "the snapshot stays while nothing changes")

        // A new resource summary: the view changes, the filters' view does not.
        var next = [Self.cluster("edge-2", version: 1), Self.cluster("edge-1", version: 2, cpu: "4")]
        #expect(!(await state.update(Self.snapshot(next), changed: ["/edge-1"])))
        let second = await state.current()
        #expect(second !== first)
        #expect(second.views.first { $0.name == "edge-1" }?.cluster.status?.resourceSummary?.allocatable?["cpu"]?.description == "4")

        // A change the pass does not name is not looked at (its keys come with a later pass).
        next[0] = Self.cluster("edge-2", version: 2, ready: false)
        #expect(!(await state.update(Self.snapshot(next), changed: [])))
        #expect(await state.current() === second)
        #expect(await state.update(Self.snapshot(next), changed: ["/edge-2"]), "readiness is what filters see")

        // A new cluster and a removed one renumber the views, in name order.
        next = [Self.cluster("edge-2", version: 2, ready: false), Self.cluster("edge-0", version: 1)]
        #expect(await state.update(Self.snapshot(next), changed: ["/edge-0", "/edge-1"]))
        let third = await state.current()
        #expect(Self.names(third) == ["edge-0", "edge-2"])
        #expect(third.views.map(\.nameOrder) == [0, 1])

        // A full pass finds what went without a key naming it.
        #expect(await state.update(Self.snapshot([Self.cluster("edge-0", version: 1)]), changed: nil))
        #expect(Self.names(await state.current()) == ["edge-0"])
        #expect(!(await state.update(Self.snapshot([Self.cluster("edge-0", version: 1)]), changed: nil)), "nothing new on a full pass")
    }
}
