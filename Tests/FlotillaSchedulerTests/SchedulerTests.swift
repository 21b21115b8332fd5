import FlotillaAPI
import Testing
@testable import FlotillaScheduler

@Suite struct SchedulerTests {
    static let deployment = ObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: "games", name: "game", uid: "u")

    static func site(_ name: String, tier: String = "edge", cpu: String? = nil, taints: [Taint]? = nil) -> Cluster {
        var cluster = cluster(name, labels: ["tier": tier])
        cluster.spec.taints = taints
        if let cpu {
            var status = ClusterStatus()
            status.resourceSummary = ResourceSummary(allocatable: quantities(["cpu": cpu, "pods": "110"]))
            cluster.status = status
        }
        return cluster
    }

    static func context(_ replicas: Int, _ placement: Placement, request: [String: String] = [:], previous: [TargetCluster] = []) -> SchedulingContext {
        SchedulingContext(bindingUID: "", resource: deployment, replicas: replicas, replicaRequest: quantities(request),
            placement: placement, previous: previous)
    }

    static let edgeOnly = ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "edge"]))

    @Test func duplicatedGoesToEveryMatchingCluster() {
        let outcome = Scheduler().schedule(Self.context(3, Placement(clusterAffinity: Self.edgeOnly)),
            clusters: [Self.site("b"), Self.site("a"), Self.site("cloud", tier: "cloud")])
        #expect(outcome == .scheduled([TargetCluster(name: "a", replicas: 3), TargetCluster(name: "b", replicas: 3)]))
    }

    @Test func noFitExplainsWhy() {
        let outcome = Scheduler().schedule(Self.context(3, Placement(clusterAffinity: Self.edgeOnly)),
            clusters: [Self.site("c1", tier: "cloud"), Self.site("c2", tier: "cloud")])
        #expect(outcome == .unschedulable("0/2 clusters are available: 2 cluster(s) did not match the placement cluster affinity constraint."))
    }

    @Test func taintsNeedTolerations() {
        let tainted = Self.site("a", taints: [Taint(key: "maintenance", value: "firmware", effect: "NoSchedule")])
        let plain = Scheduler().schedule(Self.context(1, Placement()), clusters: [tainted])
        #expect(plain == .unschedulable("0/1 clusters are available: 1 cluster(s) had untolerated taint {maintenance=firmware:NoSchedule}."))
        let tolerated = Scheduler().schedule(Self.context(1, Placement(clusterTolerations: [Toleration(key: "maintenance", operator: "Exists")])),
            clusters: [tainted])
        #expect(tolerated == .scheduled([TargetCluster(name: "a", replicas: 1)]))
        // A NoSchedule taint added later does not evict a workload already there.
        let sticky = Scheduler().schedule(Self.context(1, Placement(), previous: [TargetCluster(name: "a", replicas: 1)]), clusters: [tainted])
        #expect(sticky == .scheduled([TargetCluster(name: "a", replicas: 1)]))
    }

    @Test func clustersBeingDeletedAreSkipped() {
        var leaving = Self.site("a")
        leaving.metadata.deletionTimestamp = Timestamp(seconds: 1)
        let outcome = Scheduler().schedule(Self.context(2, Placement()), clusters: [leaving, Self.site("b")])
        #expect(outcome == .scheduled([TargetCluster(name: "b", replicas: 2)]))
    }

    /// Weighted without a weight preference: every candidate weight 1 → 5 over a, b ascending → a=3, b=2.
    @Test func weightedWithoutPreferenceSplitsEvenly() {
        let placement = Placement(replicaScheduling: ReplicaSchedulingStrategy(replicaSchedulingType: "Divided", replicaDivisionPreference: "Weighted"))
        #expect(Scheduler().schedule(Self.context(5, placement), clusters: [Self.site("a"), Self.site("b")])
            == .scheduled([TargetCluster(name: "a", replicas: 3), TargetCluster(name: "b", replicas: 2)]))
    }

    /// DynamicWeight by estimated capacity: a has 2 CPU (4 × 500m), b has 1 CPU (2 × 500m) → 6 as 4 and 2.
    @Test func dynamicWeightFollowsEstimatedCapacity() {
        let placement = Placement(replicaScheduling: ReplicaSchedulingStrategy(replicaSchedulingType: "Divided", replicaDivisionPreference: "Weighted",
            weightPreference: ClusterPreferences(dynamicWeight: "AvailableReplicas")))
        let clusters = [Self.site("a", cpu: "2"), Self.site("b", cpu: "1")]
        #expect(Scheduler().schedule(Self.context(6, placement, request: ["cpu": "500m"]), clusters: clusters)
            == .scheduled([TargetCluster(name: "a", replicas: 4), TargetCluster(name: "b", replicas: 2)]))
        #expect(Scheduler().schedule(Self.context(7, placement, request: ["cpu": "500m"]), clusters: clusters)
            == .unschedulable("Clusters available replicas 6 are not enough to schedule."))
    }

    @Test func freshModeComesFromTheBinding() {
        var binding = ResourceBinding(metadata: ObjectMeta(name: "game-deployment", namespace: "games"),
            spec: ResourceBindingSpec(resource: Self.deployment, replicas: 3))
        binding.spec.rescheduleTriggeredAt = Timestamp(seconds: 200)
        var status = ResourceBindingStatus()
        status.lastScheduledTime = Timestamp(seconds: 100)
        binding.status = status
        #expect(SchedulingContext(binding: binding).fresh)
        binding.status?.lastScheduledTime = Timestamp(seconds: 300)
        #expect(!SchedulingContext(binding: binding).fresh)
    }
}
