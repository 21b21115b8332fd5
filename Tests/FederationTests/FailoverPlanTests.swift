import FlotillaAPI
import FlotillaScheduler
import Foundation
import Testing
@testable import FlotillaControllers

/// The failover decisions, each a pure function of a binding, clusters and the time: table tests with the
/// expected answers worked out from the rules in each type's comment.
@Suite struct FailoverPlanTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    static let notReady = "cluster.karmada.io/not-ready"

    static func cluster(_ name: String, ready: Bool = true, taints: [Taint] = []) -> Cluster {
        var status = ClusterStatus()
        status.conditions = [Condition(type: "Ready", status: ready ? .true : .false)]
        return Cluster(metadata: ObjectMeta(name: name), spec: ClusterSpec(taints: taints.isEmpty ? nil : taints), status: status)
    }

    static func noExecute(_ key: String = notReady, at seconds: TimeInterval = 0) -> Taint {
        Taint(key: key, effect: "NoExecute", timeAdded: Timestamp(t0.addingTimeInterval(seconds)))
    }

    static func binding(_ targets: [(String, Int32)], tolerations: [Toleration] = [], replicas: Int32 = 6,
                        tasks: [GracefulEvictionTask] = [], failover: FailoverBehavior? = nil) -> ResourceBinding {
        var placement = Placement(clusterTolerations: tolerations.isEmpty ? nil : tolerations)
        placement.replicaScheduling = ReplicaSchedulingStrategy(replicaSchedulingType: "Divided")
        var spec = ResourceBindingSpec(resource: ObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: "default", name: "arena", uid: "u1"),
                                       replicas: replicas, placement: placement)
        spec.clusters = targets.map { TargetCluster(name: $0.0, replicas: $0.1) }
        spec.gracefulEvictionTasks = tasks.isEmpty ? nil : tasks
        spec.failover = failover
        var binding = ResourceBinding(metadata: ObjectMeta(name: "arena-deployment", namespace: "default"), spec: spec)
        binding.metadata.uid = "u1"
        binding.metadata.generation = 2
        return binding
    }

    // MARK: TaintEviction

    struct TaintCase: Sendable, CustomStringConvertible {
        var description: String
        var taints: [Taint]
        var tolerations: [Toleration]
        var at: TimeInterval
        var evicts: Bool
        var recheck: TimeInterval?
    }

    static let taintCases: [TaintCase] = [
        TaintCase(description: "untolerated NoExecute evicts at once", taints: [noExecute()], tolerations: [], at: 0, evicts: true, recheck: nil),
        TaintCase(description: "NoSchedule never evicts", taints: [Taint(key: notReady, effect: "NoSchedule")], tolerations: [], at: 0,
                  evicts: false, recheck: nil),
        TaintCase(description: "tolerated 3 s: 2 s in, recheck in 1 s", taints: [noExecute()],
                  tolerations: [Toleration(key: notReady, operator: "Exists", effect: "NoExecute", tolerationSeconds: 3)], at: 2, evicts: false, recheck: 1),
        TaintCase(description: "tolerated 3 s: 3 s in, evicts", taints: [noExecute()],
                  tolerations: [Toleration(key: notReady, operator: "Exists", effect: "NoExecute", tolerationSeconds: 3)], at: 3, evicts: true, recheck: nil),
        TaintCase(description: "tolerated without seconds: never", taints: [noExecute()],
                  tolerations: [Toleration(key: notReady, operator: "Exists", effect: "NoExecute")], at: 1000, evicts: false, recheck: nil),
        TaintCase(description: "two matching tolerations: the shortest given counts", taints: [noExecute()],
                  tolerations: [Toleration(operator: "Exists"), Toleration(key: notReady, operator: "Exists", tolerationSeconds: 10)], at: 4,
                  evicts: false, recheck: 6),
        TaintCase(description: "a second, untolerated taint evicts", taints: [noExecute(), noExecute("maintenance")],
                  tolerations: [Toleration(key: notReady, operator: "Exists", effect: "NoExecute", tolerationSeconds: 300)], at: 0,
                  evicts: true, recheck: nil),
        TaintCase(description: "zero seconds evicts at once", taints: [noExecute()],
                  tolerations: [Toleration(key: notReady, operator: "Exists", effect: "NoExecute", tolerationSeconds: 0)], at: 0, evicts: true, recheck: nil),
    ]

    @Test(arguments: taintCases)
    func taintEviction(_ row: TaintCase) {
        let binding = Self.binding([("edge-1", 3), ("edge-3", 3)], tolerations: row.tolerations)
        let clusters = ["edge-1": Self.cluster("edge-1"), "edge-3": Self.cluster("edge-3", ready: false, taints: row.taints)]
        let plan = TaintEviction.plan(binding, clusters: clusters, now: Self.t0.addingTimeInterval(row.at))
        #expect(plan.evict.map(\.cluster) == (row.evicts ? ["edge-3"] : []))
        #expect(plan.recheckAfter == row.recheck)
    }

    @Test func aClusterAlreadyBeingEvictedIsNotEvictedAgain() {
        let task = GracefulEvictionTask(fromCluster: "edge-3", purgeMode: "Gracefully", replicas: 3, reason: "TaintUntolerated",
                                        producer: "TaintManager", creationTimestamp: Timestamp(Self.t0))
        // edge-3 stays in spec.clusters only in this contrived case: the plan must still skip it.
        let binding = Self.binding([("edge-1", 3), ("edge-3", 3)], tasks: [task])
        let plan = TaintEviction.plan(binding, clusters: ["edge-3": Self.cluster("edge-3", taints: [Self.noExecute()])], now: Self.t0)
        #expect(plan.evict.isEmpty)
    }

    /// A taint without timeAdded counts from when the controller first saw it.
    @Test func aTaintWithoutTimeAddedCountsFromFirstSight() {
        let binding = Self.binding([("edge-3", 6)], tolerations: [Toleration(key: "x", operator: "Exists", tolerationSeconds: 5)])
        let clusters = ["edge-3": Self.cluster("edge-3", taints: [Taint(key: "x", effect: "NoExecute")])]
        let seen = Self.t0.addingTimeInterval(10)
        #expect(TaintEviction.plan(binding, clusters: clusters, now: Self.t0.addingTimeInterval(12), addedAt: { _, _ in seen }).recheckAfter == 3)
        #expect(TaintEviction.plan(binding, clusters: clusters, now: Self.t0.addingTimeInterval(15), addedAt: { _, _ in seen }).evict.count == 1)
    }

    // MARK: GracefulEviction

    static func task(_ mode: String, grace: Int32? = nil, producer: String = GracefulEvictionTask.taintManager, suppress: Bool? = nil) -> GracefulEvictionTask {
        var task = GracefulEvictionTask(fromCluster: "edge-3", purgeMode: mode, replicas: 2, reason: "TaintUntolerated", producer: producer,
                                        gracePeriodSeconds: grace, clustersBeforeFailover: ["edge-1", "edge-2", "edge-3"],
                                        creationTimestamp: Timestamp(t0))
        task.suppressDeletion = suppress
        return task
    }

    /// A binding scheduled for its generation whose two targets report `ready` of 3 replicas each.
    static func rescheduled(_ task: GracefulEvictionTask, ready: Int64) -> ResourceBinding {
        var binding = binding([("edge-1", 3), ("edge-2", 3)], tasks: [task])
        var status = ResourceBindingStatus()
        status.schedulerObservedGeneration = 2
        status.conditions = [Condition(type: "Scheduled", status: .true)]
        status.aggregatedStatus = ["edge-1", "edge-2"].map {
            AggregatedStatusItem(clusterName: $0, status: ["replicas": 3, "readyReplicas": .integer(ready)], applied: true, health: "Healthy")
        }
        binding.status = status
        return binding
    }

    struct GraceCase: Sendable, CustomStringConvertible {
        var description: String
        var task: GracefulEvictionTask
        var ready: Int64
        var edge3: Cluster?
        var at: TimeInterval
        var ends: String?
        var recheck: TimeInterval?
    }

    static let down = cluster("edge-3", ready: false, taints: [noExecute()])
    static let graceCases: [GraceCase] = [
        GraceCase(description: "Directly ends at once", task: task("Directly"), ready: 0, edge3: down, at: 0, ends: "purge mode Directly", recheck: nil),
        GraceCase(description: "an application's Directly task stays as a back-off", task: task("Directly", grace: 60,
                  producer: GracefulEvictionTask.applicationFailover), ready: 3, edge3: cluster("edge-3"), at: 20, ends: nil, recheck: 40),
        GraceCase(description: "…until its grace period passes", task: task("Directly", grace: 60, producer: GracefulEvictionTask.applicationFailover),
                  ready: 3, edge3: cluster("edge-3"), at: 60, ends: "the back-off of 60 s passed", recheck: nil),
        GraceCase(description: "Gracefully waits for the replacements", task: task("Gracefully"), ready: 2, edge3: down, at: 10, ends: nil, recheck: 590),
        GraceCase(description: "Gracefully ends when they are ready", task: task("Gracefully"), ready: 3, edge3: down, at: 10,
                  ends: "the replacements are ready", recheck: nil),
        GraceCase(description: "Gracefully ends after its own grace period", task: task("Gracefully", grace: 30), ready: 0, edge3: down, at: 30,
                  ends: "the grace period of 30 s passed", recheck: nil),
        GraceCase(description: "Never keeps it while the cluster is down", task: task("Never"), ready: 3, edge3: down, at: 10_000, ends: nil, recheck: nil),
        GraceCase(description: "a recovered cluster ends a taint task", task: task("Never"), ready: 0, edge3: cluster("edge-3"), at: 0,
                  ends: "the cluster recovered", recheck: nil),
        GraceCase(description: "recovery does not end an application task",
                  task: task("Gracefully", producer: GracefulEvictionTask.applicationFailover), ready: 0, edge3: cluster("edge-3"), at: 0,
                  ends: nil, recheck: 600),
        GraceCase(description: "a cluster that left ends it", task: task("Never"), ready: 0, edge3: nil, at: 0, ends: "the cluster left", recheck: nil),
        GraceCase(description: "suppressDeletion keeps it whatever else holds", task: task("Directly", suppress: true), ready: 3, edge3: nil, at: 0,
                  ends: nil, recheck: nil),
    ]

    @Test(arguments: graceCases)
    func gracefulEviction(_ row: GraceCase) {
        var clusters = ["edge-1": Self.cluster("edge-1"), "edge-2": Self.cluster("edge-2")]
        clusters["edge-3"] = row.edge3
        let plan = GracefulEviction.plan(Self.rescheduled(row.task, ready: row.ready), clusters: clusters, now: Self.t0.addingTimeInterval(row.at),
                                         timeout: 600)
        #expect(plan.ended.map(\.why) == [row.ends].compactMap { $0 })
        #expect(plan.keep.count == (row.ends == nil ? 1 : 0))
        #expect(plan.recheckAfter == row.recheck)
    }

    /// Replacements count as ready only once the scheduler has seen the binding's current generation.
    @Test func readinessWaitsForTheScheduler() {
        var binding = Self.rescheduled(Self.task("Gracefully"), ready: 3)
        binding.metadata.generation = 3
        let plan = GracefulEviction.plan(binding, clusters: ["edge-3": Self.down], now: Self.t0, timeout: 600)
        #expect(plan.ended.isEmpty)
    }

    // MARK: ApplicationFailover

    @Test func applicationFailoverWaitsForTheToleration() {
        var binding = Self.binding([("edge-1", 3), ("edge-2", 3)],
            failover: FailoverBehavior(application: ApplicationFailoverBehavior(decisionConditions: DecisionConditions(tolerationSeconds: 30))))
        var status = ResourceBindingStatus()
        status.aggregatedStatus = [AggregatedStatusItem(clusterName: "edge-1", status: nil, applied: true, health: "Healthy"),
                                   AggregatedStatusItem(clusterName: "edge-2", status: ["phase": "Degraded"], applied: true, health: "Unhealthy")]
        binding.status = status
        let early = ApplicationFailover.plan(binding, now: Self.t0.addingTimeInterval(20), unhealthySince: ["edge-2": Self.t0])
        #expect(early.evict.isEmpty && early.recheckAfter == 10 && early.unhealthy == ["edge-2"])
        let due = ApplicationFailover.plan(binding, now: Self.t0.addingTimeInterval(30), unhealthySince: ["edge-2": Self.t0])
        #expect(due.evict == ["edge-2"])
        // Without a failover.application, unhealthy copies stay.
        binding.spec.failover = nil
        #expect(ApplicationFailover.plan(binding, now: Self.t0.addingTimeInterval(999), unhealthySince: ["edge-2": Self.t0]).evict.isEmpty)
    }

    @Test func preservedStateReadsTheRulesFromStatus() {
        let rules = StatePreservation(rules: [StatePreservationRule(aliasLabelName: "game.example/round", jsonPath: "{ .round }"),
                                              StatePreservationRule(aliasLabelName: "game.example/leader", jsonPath: "{.players[0].name}"),
                                              StatePreservationRule(aliasLabelName: "game.example/missing", jsonPath: "{.nothing}")])
        let status: JSONValue = ["round": 7, "players": [["name": "ada"]]]
        #expect(ApplicationFailover.preservedState(rules, status: status) == ["game.example/round": "7", "game.example/leader": "ada"])
        let task = { () -> GracefulEvictionTask in
            var task = Self.task("Gracefully")
            task.preservedLabelState = ["game.example/round": "7"]
            return task
        }()
        let manifest: JSONValue = ["metadata": ["name": "arena", "labels": ["app": "arena"]]]
        // Injected on a cluster that was not serving before the failover; not on those that were.
        #expect(WorkRendering.preservingState(manifest, for: "edge-4", tasks: [task])["metadata"]?["labels"]
                == ["app": "arena", "game.example/round": "7"])
        #expect(WorkRendering.preservingState(manifest, for: "edge-1", tasks: [task]) == manifest)
    }

    // MARK: ClusterTaintRules

    static let policy = ClusterTaintPolicy(metadata: ObjectMeta(name: "not-ready"), spec: ClusterTaintPolicySpec(
        addOnConditions: [MatchCondition(conditionType: "Ready", operator: "NotIn", statusValues: ["True"])],
        removeOnConditions: [MatchCondition(conditionType: "Ready", operator: "In", statusValues: ["True"])],
        taints: [PolicyTaint(key: notReady, effect: "NoExecute")]))

    @Test func taintPolicyAddsAndRemovesWithTheCondition() {
        let now = Timestamp(Self.t0)
        let failed = ClusterTaintRules.taints(for: Self.cluster("edge-3", ready: false), policies: [Self.policy], now: now)
        #expect(failed == [Taint(key: Self.notReady, effect: "NoExecute", timeAdded: now)])
        // Already there: unchanged, and its timeAdded kept (the toleration's countdown does not restart).
        let tainted = Self.cluster("edge-3", ready: false, taints: [Self.noExecute(at: -5)])
        #expect(ClusterTaintRules.taints(for: tainted, policies: [Self.policy], now: now) == nil)
        // Recovered: removed; a taint the policy does not name stays.
        let recovered = Self.cluster("edge-3", ready: true, taints: [Self.noExecute(), Taint(key: "maintenance", effect: "NoSchedule")])
        #expect(ClusterTaintRules.taints(for: recovered, policies: [Self.policy], now: now) == [Taint(key: "maintenance", effect: "NoSchedule")])
        // Not targeted: untouched.
        var targeted = Self.policy
        targeted.spec.targetClusters = ClusterAffinity(clusterNames: ["edge-1"])
        #expect(ClusterTaintRules.taints(for: Self.cluster("edge-3", ready: false), policies: [targeted], now: now) == nil)
        // No Ready condition at all reads as Unknown: NotIn [True] matches.
        let silent = Cluster(metadata: ObjectMeta(name: "edge-9"), spec: ClusterSpec())
        #expect(ClusterTaintRules.taints(for: silent, policies: [Self.policy], now: now)?.count == 1)
    }

    // MARK: EvictionRateLimiter

    @Test func evictionsAreRateLimited() {
        let start = ContinuousClock.now
        var limiter = EvictionRateLimiter(rate: 2)
        let first = limiter.take(now: start), second = limiter.take(now: start)
        #expect(first && second)
        let early = limiter.take(now: start + .milliseconds(250))
        let wait = limiter.wait(now: start + .milliseconds(250))
        let onTime = limiter.take(now: start + .milliseconds(500))
        #expect(!early && wait == .milliseconds(250) && onTime)
    }

    // MARK: ClusterTaintEdit

    @Test func taintSyntaxAddsRemovesAndRefusesConflicts() throws {
        let now = Timestamp(Self.t0)
        let add = try ClusterTaintEdit(parsing: ["maintenance=power:NoExecute"])
        let tainted = try add.apply(to: [], now: now)
        #expect(tainted == [Taint(key: "maintenance", value: "power", effect: "NoExecute", timeAdded: now)])
        #expect(throws: ClusterTaintEdit.Invalid.self) { try ClusterTaintEdit(parsing: ["maintenance=other:NoExecute"]).apply(to: tainted, now: now) }
        #expect(try ClusterTaintEdit(parsing: ["maintenance=other:NoExecute"], overwrite: true).apply(to: tainted, now: now).first?.value == "other")
        #expect(try ClusterTaintEdit(parsing: ["maintenance-"]).apply(to: tainted, now: now).isEmpty)
        #expect(try ClusterTaintEdit(parsing: ["maintenance:NoSchedule-"]).apply(to: tainted + [Taint(key: "maintenance", effect: "NoSchedule")],
                                                                             now: now) == tainted)
        #expect(throws: ClusterTaintEdit.Invalid.self) { try ClusterTaintEdit(parsing: ["gone-"]).apply(to: tainted, now: now) }
        for bad in ["noeffect", "k:Sometimes", "bad key:NoSchedule", ""] {
            #expect(throws: ClusterTaintEdit.Invalid.self, "\(bad)") { try ClusterTaintEdit(parsing: [bad]) }
        }
        let cordoned = try ClusterTaintEdit.cordon.apply(to: [], now: now)
        #expect(cordoned.map(\.key) == [ClusterTaintEdit.unschedulableTaint] && cordoned.first?.effect == "NoSchedule")
        #expect(try ClusterTaintEdit.uncordon.apply(to: cordoned, now: now).isEmpty)
        #expect(try ClusterTaintEdit.uncordon.apply(to: [], now: now).isEmpty)
    }
}
