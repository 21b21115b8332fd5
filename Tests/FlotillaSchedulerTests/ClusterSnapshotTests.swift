import FlotillaAPI
import Testing
@testable import FlotillaScheduler

/// A shared `ClusterSnapshot` reuses one ranking per placement, one static-weight table per rule list and one
/// grouping per spread field; none of that may change a decision. Each case decides many bindings over one shared
/// snapshot and checks every decision against the same decision made without any of it (`decide(_:views:)`).
@Suite struct ClusterSnapshotTests {
    struct Random {
        var state: UInt64
        init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
        mutating func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        mutating func chance(_ percent: Int) -> Bool { next(100) < percent }
    }

    /// Clusters with the awkward cases mixed in: taints of both effects, no resource summary (unknown capacity),
    /// being deleted, not serving Deployments, few distinct capacities (so ties are common).
    static func clusters(_ random: inout Random) -> [Cluster] {
        (0..<(1 + random.next(30))).map { index in
            var cluster = cluster("c\(random.next(100))-\(index)", labels: ["tier": random.chance(30) ? "core" : "edge"],
                                  provider: ["p1", "p2"][random.next(2)], region: "r\(random.next(3))", zones: ["z\(random.next(4))"])
            if random.chance(15) {
                cluster.spec.taints = [Taint(key: "maintenance", value: "true", effect: random.chance(50) ? "NoSchedule" : "NoExecute")]
            }
            if random.chance(5) { cluster.metadata.deletionTimestamp = Timestamp(seconds: 1) }
            if !random.chance(10) {
                var status = ClusterStatus()
                status.resourceSummary = ResourceSummary(allocatable: quantities(["cpu": "\(1 + random.next(4))", "pods": "110"]))
                if random.chance(10) {
                    status.apiEnablements = [APIEnablement(groupVersion: "v1", resources: [APIResource(name: "configmaps", kind: "ConfigMap")])]
                }
                cluster.status = status
            }
            return cluster
        }
    }

    static func placements(_ names: [String]) -> [Placement] {
        let dynamic = ReplicaSchedulingStrategy(replicaSchedulingType: "Divided", replicaDivisionPreference: "Weighted",
                                                weightPreference: ClusterPreferences(dynamicWeight: "AvailableReplicas"))
        let weights = ReplicaSchedulingStrategy(replicaSchedulingType: "Divided", replicaDivisionPreference: "Weighted",
            weightPreference: ClusterPreferences(staticWeightList: [
                StaticClusterWeight(targetCluster: ClusterAffinity(clusterNames: Array(names.prefix(3))), weight: 2),
                StaticClusterWeight(targetCluster: ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "core"])), weight: 1)]))
        var minimum = dynamic
        minimum.flotilla = FlotillaReplicaOptions(minReplicasPerCluster: 1)
        var capacityAware = weights
        capacityAware.flotilla = FlotillaReplicaOptions(capacityAwareStaticWeights: true)
        let core = ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "core"]))
        return [
            Placement(),
            Placement(clusterAffinity: core, replicaScheduling: ReplicaSchedulingStrategy(replicaSchedulingType: "Duplicated")),
            Placement(clusterTolerations: [Toleration(key: "maintenance", operator: "Exists")], replicaScheduling: dynamic),
            Placement(replicaScheduling: weights),
            Placement(replicaScheduling: capacityAware),
            Placement(replicaScheduling: ReplicaSchedulingStrategy(replicaSchedulingType: "Divided", replicaDivisionPreference: "Aggregated")),
            Placement(replicaScheduling: ReplicaSchedulingStrategy(replicaSchedulingType: "Divided")),
            Placement(replicaScheduling: minimum),
            Placement(spreadConstraints: [SpreadConstraint(spreadByField: "region", maxGroups: 2, minGroups: 1),
                                          SpreadConstraint(spreadByField: "cluster", maxGroups: 4, minGroups: 1)], replicaScheduling: dynamic),
            Placement(spreadConstraints: [SpreadConstraint(spreadByLabel: "tier", maxGroups: 2, minGroups: 2),
                                          SpreadConstraint(spreadByField: "cluster", maxGroups: 3, minGroups: 2)],
                      replicaScheduling: ReplicaSchedulingStrategy(replicaSchedulingType: "Duplicated")),
            Placement(spreadConstraints: [SpreadConstraint(spreadByField: "cluster", maxGroups: 2, minGroups: 1)], replicaScheduling: dynamic),
            Placement(clusterAffinities: [ClusterAffinityTerm(affinityName: "core", affinity: core),
                                          ClusterAffinityTerm(affinityName: "any", affinity: ClusterAffinity())], replicaScheduling: dynamic),
            // Affinities over the same placement, which rank by narrowing the placement without them.
            Placement(clusterAffinity: ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "core"]), exclude: Array(names.prefix(1))),
                      replicaScheduling: ReplicaSchedulingStrategy(replicaSchedulingType: "Duplicated")),
            Placement(clusterAffinity: ClusterAffinity(clusterNames: Array(names.prefix(6)) + ["absent"], exclude: Array(names.dropFirst().prefix(1))),
                      replicaScheduling: dynamic),
            Placement(clusterAffinity: ClusterAffinity(exclude: Array(names.suffix(2))), replicaScheduling: dynamic),
            Placement(clusterAffinity: ClusterAffinity(exclude: Array(names.suffix(2))), replicaScheduling: weights),
            Placement(clusterAffinity: ClusterAffinity(fieldSelector: ClusterFieldSelector(matchExpressions: [
                          NodeSelectorRequirement(key: "region", operator: "In", values: ["r0", "r1"])]), exclude: Array(names.prefix(2))),
                      spreadConstraints: [SpreadConstraint(spreadByField: "region", maxGroups: 2, minGroups: 1),
                                          SpreadConstraint(spreadByField: "cluster", maxGroups: 4, minGroups: 1)], replicaScheduling: dynamic),
            Placement(clusterAffinity: ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "edge"])),
                      clusterTolerations: [Toleration(key: "maintenance", operator: "Exists")], replicaScheduling: minimum),
            Placement(clusterAffinity: ClusterAffinity(clusterNames: ["absent"]), replicaScheduling: dynamic),
        ]
    }

    @Test(arguments: 1...8)
    func sharedSnapshotDecidesLikeAFreshOne(seed: Int) {
        var random = Random(seed: UInt64(seed))
        let clusters = Self.clusters(&random)
        let views = ClusterView.of(clusters)
        let shared = ClusterSnapshot(views: views)
        let names = clusters.map { $0.metadata.name ?? "" }
        let placements = Self.placements(names)
        let scheduler = Scheduler()
        for attempt in 0..<300 {
            var previous: [TargetCluster] = []
            if random.chance(50) {
                for _ in 0..<random.next(4) { previous.append(TargetCluster(name: names[random.next(names.count)], replicas: Int32(random.next(4)))) }
                if random.chance(20) { previous.append(TargetCluster(name: "gone", replicas: 2)) }
            }
            let context = SchedulingContext(bindingUID: ["", "uid-1", "uid-2", "uid-\(attempt)"][random.next(4)], resource: SchedulerTests.deployment,
                replicas: random.next(13), replicaRequest: random.chance(80) ? quantities(["cpu": "500m"]) : [:],
                placement: placements[random.next(placements.count)], previous: previous, fresh: random.chance(20))
            let cached = scheduler.decide(context, snapshot: shared)
            let reference = scheduler.decide(context, views: views)
            #expect(cached == reference, "seed \(seed) attempt \(attempt): \(context.replicas) replicas, previous \(previous)")
        }
    }

    /// A binding's own previous clusters are filtered and scored again with its previous result: a NoSchedule taint
    /// does not evict it, while the class's ranking (made for a binding that runs nowhere) rules the cluster out.
    /// (No replica strategy: Duplicated, every selected cluster runs all replicas.)
    @Test func previousClustersAreEvaluatedPerBinding() {
        let tainted = SchedulerTests.site("a", cpu: "4", taints: [Taint(key: "maintenance", value: "true", effect: "NoSchedule")])
        let snapshot = ClusterSnapshot([tainted, SchedulerTests.site("b", cpu: "4")])
        let fresh = SchedulerTests.context(2, Placement(), request: ["cpu": "1"])
        #expect(Scheduler().decide(fresh, snapshot: snapshot).outcome == .scheduled([TargetCluster(name: "b", replicas: 2)]))
        let running = SchedulerTests.context(2, Placement(), request: ["cpu": "1"], previous: [TargetCluster(name: "a", replicas: 2)])
        #expect(Scheduler().decide(running, snapshot: snapshot).outcome
            == .scheduled([TargetCluster(name: "a", replicas: 2), TargetCluster(name: "b", replicas: 2)]))
    }

    /// The first division's contenders, picked by comparing integers, give `DynamicDivision.divide`'s answer.
    @Test(arguments: 1...5)
    func firstDivisionAgreesWithTheFullDivision(seed: Int) throws {
        var random = Random(seed: UInt64(seed))
        for _ in 0..<200 {
            let clusters = (0..<(1 + random.next(40))).map { cluster("c\(random.next(1000))-\($0)") }
            let ranked = ClusterView.of(clusters).map { view in
                let free = random.next(4) * 3
                return RankedCluster(view: view, score: 0, allocatable: free, available: free)
            }
            let replicas = random.next(20)
            let uid = ["", "uid-1", "uid-2", "uid-\(random.next(100))"][random.next(4)]
            let full = Result { () throws(DynamicDivision.Unschedulable) in
                try DynamicDivision.divide(replicas, candidates: ranked.map { .init(name: $0.name, allocatable: $0.allocatable) },
                                           previous: [], mode: .steady, aggregated: false, bindingUID: uid)
            }
            let first = Result { () throws(DynamicDivision.Unschedulable) in
                try DynamicDivision.firstDivision(replicas, ranked: ranked, bindingUID: uid)
            }
            #expect(first == full, "\(replicas) over \(ranked.map { "\($0.name):\($0.allocatable)" }) uid \(uid)")
        }
    }
}
