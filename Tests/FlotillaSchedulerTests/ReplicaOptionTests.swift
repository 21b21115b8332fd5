import FlotillaAPI
import Testing
@testable import FlotillaScheduler

/// Flotilla's `replicaScheduling.flotilla` options, expected values worked by hand (docs/scheduler.md).
@Suite struct ReplicaOptionTests {
    static func cluster(_ name: String, cpu: Int64) -> Cluster {
        var cluster = Cluster(metadata: ObjectMeta(name: name), spec: ClusterSpec())
        var status = ClusterStatus()
        status.resourceSummary = ResourceSummary(allocatable: ["cpu": Quantity(cpu), "pods": Quantity(500)])
        cluster.status = status
        return cluster
    }

    static func context(_ replicas: Int, weights: [String: Int64], options: FlotillaReplicaOptions) -> SchedulingContext {
        var strategy = ReplicaSchedulingStrategy(replicaSchedulingType: "Divided", replicaDivisionPreference: "Weighted",
            weightPreference: ClusterPreferences(staticWeightList: weights.keys.sorted().map {
                StaticClusterWeight(targetCluster: ClusterAffinity(clusterNames: [$0]), weight: weights[$0]!)
            }))
        strategy.flotilla = options
        return SchedulingContext(bindingUID: "uid-0", resource: ObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: "d",
            name: "w", uid: nil), replicas: replicas, replicaRequest: ["cpu": try! Quantity(parsing: "500m")],
            placement: Placement(replicaScheduling: strategy))
    }

    static func counts(_ outcome: Scheduler.Outcome) -> [String: Int] {
        guard case .scheduled(let targets) = outcome else { return [:] }
        return Dictionary(uniqueKeysWithValues: targets.map { ($0.name, Int($0.replicas ?? 0)) })
    }

    /// Weights 2:1, 9 replicas: Karmada gives 6:3 whatever fits; capacity-aware caps edge-a at its 3 (1.5 CPU / 500m)
    /// and divides the 3 extra again over the clusters with room — edge-b → 3:6.
    @Test func capacityAwareStaticWeights() {
        let clusters = [Self.cluster("edge-a", cpu: 1), Self.cluster("edge-b", cpu: 5)]
        var wide = clusters
        wide[0].status?.resourceSummary?.allocatable?["cpu"] = try! Quantity(parsing: "1500m")
        let plain = Scheduler().schedule(Self.context(9, weights: ["edge-a": 2, "edge-b": 1], options: .init()), clusters: wide)
        #expect(Self.counts(plain) == ["edge-a": 6, "edge-b": 3])
        let aware = Scheduler().schedule(Self.context(9, weights: ["edge-a": 2, "edge-b": 1], options: .init(capacityAwareStaticWeights: true)),
            clusters: wide)
        #expect(Self.counts(aware) == ["edge-a": 3, "edge-b": 6])
        // No room anywhere for the excess: it stays where the weights put it (edge-a 2 CPUs → 4, edge-b 1 → 2; 9 → 4 + 2, then
        // 3 more by 2:1 → 2 and 1 → 6 : 3, as Karmada).
        let full = Scheduler().schedule(Self.context(9, weights: ["edge-a": 2, "edge-b": 1], options: .init(capacityAwareStaticWeights: true)),
            clusters: [Self.cluster("edge-a", cpu: 2), Self.cluster("edge-b", cpu: 1)])
        #expect(Self.counts(full) == ["edge-a": 6, "edge-b": 3])
    }

    /// Weights 5:1:1, minimum 1, 8 replicas: one each first (3), then 5 by 5:1:1 — quotients a 5, a 1.67, and the
    /// three-way tie at 1.0 (a 5/5, b 1/1, c 1/1) fills the last three seats → a 3, b 1, c 1 → totals 4 / 2 / 2.
    @Test func minimumReplicasPerCluster() {
        let clusters = ["a", "b", "c"].map { Self.cluster($0, cpu: 10) }
        let weights: [String: Int64] = ["a": 5, "b": 1, "c": 1]
        #expect(Self.counts(Scheduler().schedule(Self.context(8, weights: weights, options: .init(minReplicasPerCluster: 1)), clusters: clusters))
            == ["a": 4, "b": 2, "c": 2])
        // Fewer replicas than clusters × minimum: the floor goes in rank order (equal scores and room: by name).
        #expect(Self.counts(Scheduler().schedule(Self.context(2, weights: weights, options: .init(minReplicasPerCluster: 1)), clusters: clusters))
            == ["a": 1, "b": 1])
    }

    @Test func negativeMinimumIsInvalid() throws {
        let policy = try YAMLCodec.decode("""
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: p, namespace: default}
            spec:
              resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: w}]
              placement:
                replicaScheduling: {replicaSchedulingType: Divided, flotilla: {minReplicasPerCluster: -1}}
            """)
        guard case .failure(let failure) = PropagationPolicy.admit(policy) else {
            Issue.record("accepted")
            return
        }
        #expect("\(failure)".contains("minReplicasPerCluster"))
    }
}
