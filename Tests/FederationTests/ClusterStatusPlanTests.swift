import FlotillaAPI
import FlotillaControllers
import Foundation
import Testing

/// The cluster-status controller's decisions, without a member or a clock: Ready from the run of probe outcomes, and
/// what to write.
@Suite struct ClusterStatusPlanTests {
    static let t0 = Duration.seconds(1000)
    static let stamp = Timestamp(Date(timeIntervalSince1970: 1_800_000_000))

    /// Outcomes at seconds from t0, starting Ready or NotReady, with thresholds of 30 s (failure) and 20 s (success).
    @Test(arguments: [
        (start: true, outcomes: [(0.0, false), (29.0, false)], ready: true),
        (start: true, outcomes: [(0.0, false), (30.0, false)], ready: false),
        (start: true, outcomes: [(0.0, false), (20.0, true), (40.0, false)], ready: true),  // the success restarted the run
        (start: false, outcomes: [(0.0, true), (19.0, true)], ready: false),
        (start: false, outcomes: [(0.0, true), (20.0, true)], ready: true),
        (start: false, outcomes: [(0.0, true), (15.0, false), (16.0, true), (35.0, true)], ready: false),  // flapping stays NotReady
    ])
    func readyFollowsTheThresholds(start: Bool, outcomes: [(Double, Bool)], ready: Bool) {
        var readiness = ClusterReadiness(failureThreshold: .seconds(30), successThreshold: .seconds(20))
        var conditions = [Condition(type: "Ready", status: start ? .true : .false, reason: "Seeded")]
        for (at, ok) in outcomes {
            conditions = readiness.observe(ok ? .success : .failure("refused"), at: Self.t0 + .milliseconds(Int64(at * 1000)),
                                           conditions: conditions, timestamp: Self.stamp)
        }
        #expect(conditions[type: "Ready"]?.status == (ready ? .true : .false), "\(conditions)")
    }

    @Test func aNewMemberIsReadyAtItsFirstSuccessAndSaysWhyWhenNot() {
        var readiness = ClusterReadiness(failureThreshold: .zero, successThreshold: .seconds(30))
        let ready = readiness.observe(.success, at: Self.t0, conditions: [], timestamp: Self.stamp)
        #expect(ready[type: "Ready"]?.status == .true && ready[type: "Ready"]?.reason == "ClusterReady")
        let down = readiness.observe(.failure("connection refused"), at: Self.t0 + .seconds(1), conditions: ready, timestamp: Self.stamp)
        #expect(down[type: "Ready"]?.reason == "ClusterNotReachable" && down[type: "Ready"]?.message?.contains("connection refused") == true)
    }

    static func cluster(ready: ConditionStatus?, taints: [Taint]? = nil) -> Cluster {
        var cluster = Cluster(metadata: ObjectMeta(name: "edge-1"), spec: ClusterSpec())
        cluster.spec.taints = taints
        if let ready { cluster.status = ClusterStatus(); cluster.status?.conditions = [Condition(type: "Ready", status: ready, message: "m")] }
        return cluster
    }

    static func status(ready: ConditionStatus) -> ClusterStatus {
        var status = ClusterStatus()
        status.conditions = [Condition(type: "Ready", status: ready, message: "m")]
        return status
    }

    @Test func aFlipIsWrittenWithAnEventAndTheTaintFollows() {
        let down = ClusterStatusPlan.plan(Self.cluster(ready: .true), status: Self.status(ready: .false))
        #expect(down.status != nil && down.event?.reason == "ClusterNotReady" && down.event?.type == "Warning"
            && down.taint == "cluster.karmada.io/not-ready")
        let up = ClusterStatusPlan.plan(Self.cluster(ready: .false), status: Self.status(ready: .true))
        #expect(up.event?.reason == "ClusterReady" && up.taint == nil)
        let same = ClusterStatusPlan.plan(Self.cluster(ready: .true), status: Self.status(ready: .true))
        #expect(same.status == nil && same.event == nil)
        let silent = ClusterStatusPlan.plan(Self.cluster(ready: .true), status: Self.status(ready: .unknown))
        #expect(silent.event?.reason == "ClusterNotReady" && silent.taint == "cluster.karmada.io/unreachable")
    }

    @Test func theNotReadyTaintIsAddedOnceRemovedOnceAndOthersKept() {
        let other = Taint(key: "cluster.karmada.io/not-ready", effect: "NoExecute")
        let added = ClusterStatusPlan.taints([other], wanted: ClusterStatusPlan.notReadyTaint, now: Self.stamp)
        #expect(added == .some([other, Taint(key: "cluster.karmada.io/not-ready", effect: "NoSchedule", timeAdded: Self.stamp)]))
        #expect(ClusterStatusPlan.taints(added!!, wanted: ClusterStatusPlan.notReadyTaint, now: Self.stamp) == nil, "already there: nothing to write")
        // Removing takes every not-ready taint off, the NoExecute one the taint policy added included (as before).
        #expect(ClusterStatusPlan.taints(added!!, wanted: nil, now: Self.stamp) == .some(nil))
        #expect(ClusterStatusPlan.taints([], wanted: nil, now: Self.stamp) == nil)
    }

    /// | taints now | wanted | after |
    /// |---|---|---|
    /// | not-ready | unreachable | unreachable |
    /// | unreachable | not-ready | not-ready |
    /// | unreachable, maintenance | nil | maintenance |
    /// | unreachable | unreachable | unchanged |
    @Test(arguments: [
        (["cluster.karmada.io/not-ready"], "cluster.karmada.io/unreachable", ["cluster.karmada.io/unreachable"] as [String]?),
        (["cluster.karmada.io/unreachable"], "cluster.karmada.io/not-ready", ["cluster.karmada.io/not-ready"]),
        (["cluster.karmada.io/unreachable", "maintenance"], nil, ["maintenance"]),
        (["cluster.karmada.io/unreachable"], "cluster.karmada.io/unreachable", nil),
    ] as [([String], String?, [String]?)])
    func oneBuiltinTaintAtATime(now: [String], wanted: String?, after: [String]?) {
        let result = ClusterStatusPlan.taints(now.map { Taint(key: $0, effect: "NoSchedule") }, wanted: wanted, now: Self.stamp)
        if let after {
            #expect(result.map { ($0 ?? []).map(\.key).sorted() } == after.sorted())
        } else {
            #expect(result == nil)
        }
    }
}
