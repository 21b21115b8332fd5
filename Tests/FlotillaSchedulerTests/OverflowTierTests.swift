import FlotillaAPI
import Testing
@testable import FlotillaScheduler

/// Overflow tiers (Karmada v1.18 `overflowAffinities`), expected values worked by hand from the reference's rule:
/// tier i takes min(remaining, Σ available of tier i) through the normal strategy; scale-down contracts the last
/// tier first. Clusters: edge-a 2 CPUs, edge-b 1 CPU (tier 0, label tier=edge), cloud 100 CPUs (tier 1); each
/// replica asks 500m, so available replicas are 4, 2 and 200.
@Suite struct OverflowTierTests {
    static func cluster(_ name: String, cpu: Int64, tier: String) -> Cluster {
        var cluster = Cluster(metadata: ObjectMeta(name: name, labels: ["tier": tier]), spec: ClusterSpec())
        var status = ClusterStatus()
        status.resourceSummary = ResourceSummary(allocatable: ["cpu": Quantity(cpu), "pods": Quantity(500)])
        cluster.status = status
        return cluster
    }

    static let clusters = [cluster("cloud", cpu: 100, tier: "cloud"), cluster("edge-a", cpu: 2, tier: "edge"), cluster("edge-b", cpu: 1, tier: "edge")]

    static func context(_ replicas: Int, previous: [String: Int] = [:]) -> SchedulingContext {
        var term = ClusterAffinityTerm(affinityName: "edge-first", affinity: ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "edge"])))
        term.overflowAffinities = [OverflowAffinityTerm(affinityName: "cloud", affinity: ClusterAffinity(clusterNames: ["cloud"]))]
        return SchedulingContext(bindingUID: "uid-0", resource: ObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: "d",
            name: "w", uid: nil), replicas: replicas, replicaRequest: ["cpu": try! Quantity(parsing: "500m")],
            placement: Placement(clusterAffinities: [term], replicaScheduling: ReplicaSchedulingStrategy(replicaSchedulingType: "Divided",
                replicaDivisionPreference: "Weighted", weightPreference: ClusterPreferences(dynamicWeight: "AvailableReplicas"))),
            previous: previous.keys.sorted().map { TargetCluster(name: $0, replicas: Int32(previous[$0]!)) },
            observedAffinityName: previous.isEmpty ? nil : "edge-first")
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var replicas: Int
        var previous: [String: Int]
        var expected: [String: Int]?
        var description: String { name }
    }

    static let cases: [Case] = [
        // Tier 0 has room for 6: all 5 stay at the edge, Webster over 4:2 (quotients 4, 2, 1.33, 0.8, 0.67) → 3 / 2.
        Case(name: "fits in the primary tier", replicas: 5, previous: [:], expected: ["edge-a": 3, "edge-b": 2]),
        // Tier 0 takes its 6 (4:2 → 4 / 2), the other 4 overflow to the cloud.
        Case(name: "overflows to the next tier", replicas: 10, previous: [:], expected: ["edge-a": 4, "edge-b": 2, "cloud": 4]),
        // 10 → 7: the 3 come off the cloud (the last tier) first.
        Case(name: "scale-down contracts the last tier first", replicas: 7, previous: ["edge-a": 4, "edge-b": 2, "cloud": 4],
            expected: ["edge-a": 4, "edge-b": 2, "cloud": 1]),
        // 10 → 5: the cloud's 4 go, then tier 0 gives 1 back, proportionally (Webster over 4:2 for 5 → 3 / 2).
        Case(name: "scale-down reaches the primary tier", replicas: 5, previous: ["edge-a": 4, "edge-b": 2, "cloud": 4],
            expected: ["edge-a": 3, "edge-b": 2]),
        // 6 + 200 available < 300.
        Case(name: "more than every tier holds", replicas: 300, previous: [:], expected: nil),
    ]

    @Test(arguments: cases)
    func tiers(_ c: Case) {
        let decision = Scheduler().decide(Self.context(c.replicas, previous: c.previous), clusters: Self.clusters)
        switch (decision.outcome, c.expected) {
        case (.scheduled(let targets), let expected?):
            #expect(Dictionary(uniqueKeysWithValues: targets.map { ($0.name, Int($0.replicas ?? 0)) }) == expected)
            #expect(decision.affinityName == "edge-first")
        case (.unschedulable(let reason), nil):
            #expect(reason == "Clusters available replicas 206 are not enough to schedule.")
        default:
            Issue.record("\(c.name): \(decision.outcome)")
        }
    }
}
