import FlotillaAPI
import Testing
@testable import FlotillaScheduler

/// What the scheduler does for a binding in failover: the ClusterEviction filter, and NoExecute taints tolerated
/// only for a while.
@Suite struct FailoverSchedulingTests {
    typealias S = SchedulerTests
    static let divided = ReplicaSchedulingStrategy(replicaSchedulingType: "Divided", replicaDivisionPreference: "Aggregated")
    static let down = Taint(key: "cluster.karmada.io/not-ready", effect: "NoExecute")
    static let briefly = Toleration(key: "cluster.karmada.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 3)

    /// Aggregated over a, b, c with 4 cpu each and 1 cpu per replica; c is evicted with its 2 replicas. Steady keeps
    /// a:2 and b:2 and gives the 2 lost replicas to the fullest-first survivors (a by name on a tie) → a:4, b:2.
    @Test func evictedClustersGetNoReplicasAndTheLostOnesGoToSurvivors() {
        var context = S.context(6, Placement(replicaScheduling: Self.divided), request: ["cpu": "1"],
                                previous: [TargetCluster(name: "a", replicas: 2), TargetCluster(name: "b", replicas: 2)])
        context.evicting = ["c"]
        let clusters = [S.site("a", cpu: "4"), S.site("b", cpu: "4"), S.site("c", cpu: "4")]
        guard case .scheduled(let targets) = Scheduler().schedule(context, clusters: clusters) else {
            Issue.record("not scheduled")
            return
        }
        #expect(!targets.contains { $0.name == "c" })
        #expect(targets.reduce(0) { $0 + Int($1.replicas ?? 0) } == 6)
        // With every other cluster gone too, the answer names the eviction.
        context.evicting = ["a", "b", "c"]
        context.previous = []
        #expect(Scheduler().schedule(context, clusters: clusters) == .unschedulable("0/3 clusters are available: 3 cluster(s) is in the process of eviction."))
    }

    /// A NoExecute taint tolerated for a few seconds keeps a workload where it runs, but is no invitation to land there.
    @Test func aTimedNoExecuteTolerationKeepsButDoesNotAttract() {
        let tainted = S.site("c", taints: [Self.down])
        let placement = Placement(clusterTolerations: [Self.briefly])
        #expect(Scheduler().schedule(S.context(1, placement), clusters: [tainted])
                == .unschedulable("0/1 clusters are available: 1 cluster(s) had untolerated taint {cluster.karmada.io/not-ready:NoExecute}."))
        #expect(Scheduler().schedule(S.context(1, placement, previous: [TargetCluster(name: "c", replicas: 1)]), clusters: [tainted])
                == .scheduled([TargetCluster(name: "c", replicas: 1)]))
        let forever = Placement(clusterTolerations: [Toleration(key: "cluster.karmada.io/not-ready", operator: "Exists", effect: "NoExecute")])
        #expect(Scheduler().schedule(S.context(1, forever), clusters: [tainted]) == .scheduled([TargetCluster(name: "c", replicas: 1)]))
    }
}
