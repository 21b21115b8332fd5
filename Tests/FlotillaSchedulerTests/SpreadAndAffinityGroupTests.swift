import FlotillaAPI
import Testing
@testable import FlotillaScheduler

/// Spread-constraint selection and affinity groups, with expected values worked out by hand from the rules in
/// shared/reference/karmada-semantics.md §1.2 and §2.5 (the arithmetic is in each comment).
@Suite struct SpreadAndAffinityGroupTests {
    static func ranked(_ name: String, _ score: Int, _ available: Int, region: String? = nil, zone: String? = nil,
                       labels: [String: String] = [:]) -> RankedCluster {
        RankedCluster(name: name, score: score, allocatable: available, available: available, region: region,
            zones: zone.map { [$0] } ?? [], labels: labels)
    }

    static func names(_ result: Result<[RankedCluster], SpreadSelection.Failure>) -> [String]? {
        if case .success(let clusters) = result { return clusters.map(\.name) }
        return nil
    }

    static func failure(_ result: Result<[RankedCluster], SpreadSelection.Failure>) -> String? {
        if case .failure(let failure) = result { return failure.description }
        return nil
    }

    static func byCluster(_ min: Int32?, _ max: Int32?) -> SpreadConstraint {
        SpreadConstraint(spreadByField: "cluster", maxGroups: max, minGroups: min)
    }

    /// a(100,3) b(100,2) c(50,8) d(0,6), maxGroups 2:
    /// - 10 replicas: picks a,b = 5 < 10; replace b (the back) by the unpicked with most capacity, c (8 > 2) → a,c = 11 ✔.
    /// - 15 replicas: a,c = 11 < 15; replace a by d (6 > 3) → d,c = 14 < 15, no picks left → fail.
    /// - Duplicated ignores capacity: the top two.
    @Test func clusterConstraintReplacesLowRankedPicksByCapacity() {
        let candidates = [Self.ranked("a", 100, 3), Self.ranked("b", 100, 2), Self.ranked("c", 50, 8), Self.ranked("d", 0, 6)]
        let two = [Self.byCluster(nil, 2)]
        #expect(Self.names(SpreadSelection.select(candidates, constraints: two, replicas: 10, duplicated: false)) == ["a", "c"])
        #expect(Self.failure(SpreadSelection.select(candidates, constraints: two, replicas: 15, duplicated: false))
            == "no enough resource when selecting 2 clusters")
        #expect(Self.names(SpreadSelection.select(candidates, constraints: two, replicas: 100, duplicated: true)) == ["a", "b"])
        #expect(Self.failure(SpreadSelection.select(Array(candidates.prefix(2)), constraints: [Self.byCluster(3, nil)], replicas: 1, duplicated: false))
            == "the number of feasible clusters is less than spreadConstraint.MinGroups")
        #expect(Self.names(SpreadSelection.select(candidates, constraints: [], replicas: 1, duplicated: false)) == ["a", "b", "c", "d"])
    }

    /// Regions r1{a1(100,4), a2(90,4)}, r2{b1(80,10)}, r3{c1(70,2), c2(60,2), c3(50,2)}; region min=max=2; cluster min 2;
    /// 10 replicas Divided → target ⌈10/2⌉ = 5.
    /// Scores: r1 = 1000·min(8,5) + (100+90)/2 = 5095 (a1+a2 reach 5 with 2 clusters);
    ///         r2 = 1000·min(10,5) + 80 = 5080 (one cluster never meets cluster min 2, all counted);
    ///         r3 = 1000·min(6,5) + (70+60+50)/3 = 5060.
    /// Order (#clusters asc): r2, r1, r3. Pairs: r2+r1 = 10175, r2+r3 = 10140, r1+r3 = 10155 → r2+r1.
    /// Firsts a1, b1 (by rank), then the rest by score: a2 → a1, b1, a2 (cluster max 3) or a1, b1 (cluster max 2).
    @Test func regionAndClusterConstraintsChooseTheBestRegionPair() {
        let candidates = [Self.ranked("a1", 100, 4, region: "r1"), Self.ranked("a2", 90, 4, region: "r1"),
                          Self.ranked("b1", 80, 10, region: "r2"), Self.ranked("c1", 70, 2, region: "r3"),
                          Self.ranked("c2", 60, 2, region: "r3"), Self.ranked("c3", 50, 2, region: "r3")]
        let region = SpreadConstraint(spreadByField: "region", maxGroups: 2, minGroups: 2)
        #expect(Self.names(SpreadSelection.select(candidates, constraints: [region, Self.byCluster(2, 3)], replicas: 10, duplicated: false))
            == ["a1", "b1", "a2"])
        #expect(Self.names(SpreadSelection.select(candidates, constraints: [region, Self.byCluster(2, 2)], replicas: 10, duplicated: false))
            == ["a1", "b1"])
        // Four regions required, three exist.
        let four = SpreadConstraint(spreadByField: "region", minGroups: 4)
        #expect(Self.failure(SpreadSelection.select(candidates, constraints: [four, Self.byCluster(1, nil)], replicas: 10, duplicated: false))
            == "the number of feasible region groups is less than spreadConstraint.MinGroups")
    }

    /// Duplicated group score: 1000 · #clusters whose available ≥ replicas + their average score.
    /// 4 replicas: r1 → a1, a2 fit → 2000 + 95; r2 → b1 fits → 1000 + 80; r3 → none → 0.
    /// One region (min=max=1), cluster min 1: order r2 (1 cluster), r1, r3 → best single region r1 (2095).
    @Test func duplicatedRegionScoreCountsClustersThatFitTheWholeRequest() {
        let candidates = [Self.ranked("a1", 100, 4, region: "r1"), Self.ranked("a2", 90, 4, region: "r1"),
                          Self.ranked("b1", 80, 10, region: "r2"), Self.ranked("c1", 70, 2, region: "r3")]
        let region = SpreadConstraint(spreadByField: "region", maxGroups: 1, minGroups: 1)
        #expect(Self.names(SpreadSelection.select(candidates, constraints: [region, Self.byCluster(1, nil)], replicas: 4, duplicated: true))
            == ["a1", "a2"])
    }

    /// Beyond Karmada: the same group algorithm by zone, and by an arbitrary label (here `operator`).
    /// Zones z1{x(90,5)}, z2{y(80,5)}, z3{w(70,5)}; zone min 2 max 2, cluster min 2; 6 replicas → target 3;
    /// each zone: 1000·min(5,3) + score → z1 3090, z2 3080, z3 3070; all one cluster: order by score → z1, z2, z3;
    /// best pair z1+z2 = 6170 → x, y. By label: opA{x, w}, opB{y}; min 2 → both groups → x, y, then w (cluster max 3).
    @Test func zoneAndLabelSpreadWork() {
        let candidates = [Self.ranked("x", 90, 5, zone: "z1", labels: ["operator": "opA"]),
                          Self.ranked("y", 80, 5, zone: "z2", labels: ["operator": "opB"]),
                          Self.ranked("w", 70, 5, zone: "z3", labels: ["operator": "opA"])]
        let zone = SpreadConstraint(spreadByField: "zone", maxGroups: 2, minGroups: 2)
        #expect(Self.names(SpreadSelection.select(candidates, constraints: [zone, Self.byCluster(2, nil)], replicas: 6, duplicated: false))
            == ["x", "y"])
        let label = SpreadConstraint(spreadByLabel: "operator", minGroups: 2)
        #expect(Self.names(SpreadSelection.select(candidates, constraints: [label, Self.byCluster(2, 3)], replicas: 6, duplicated: false))
            == ["x", "y", "w"])
        #expect(Self.failure(SpreadSelection.select(candidates, constraints: [zone, label, Self.byCluster(1, nil)], replicas: 6, duplicated: false))
            == "spreading by more than one group at once (zone, label operator) is not supported")
    }

    /// Through the scheduler: DynamicWeight over the clusters selected by `cluster maxGroups 2`.
    /// Capacities a 6, b 4, c 2 (cpu 1 each, 1 per replica) → ranked a, b, c by available → picks a, b;
    /// 5 replicas by weights 6:4 → Webster: a 3, b 2.
    @Test func schedulerAppliesSpreadBeforeDivision() {
        let clusters = [SchedulerTests.site("a", cpu: "6"), SchedulerTests.site("b", cpu: "4"), SchedulerTests.site("c", cpu: "2")]
        let placement = Placement(spreadConstraints: [Self.byCluster(1, 2)],
            replicaScheduling: ReplicaSchedulingStrategy(replicaSchedulingType: "Divided", replicaDivisionPreference: "Weighted",
                weightPreference: ClusterPreferences(dynamicWeight: "AvailableReplicas")))
        let outcome = Scheduler().schedule(SchedulerTests.context(5, placement, request: ["cpu": "1"]), clusters: clusters)
        #expect(outcome == .scheduled([TargetCluster(name: "a", replicas: 3), TargetCluster(name: "b", replicas: 2)]))
    }

    /// Groups: primary (tier=edge) then backup (tier=cloud). The only edge cluster is tainted → primary fails →
    /// backup schedules and is observed. Next time, with the taint gone, the scheduler resumes at the observed
    /// group (backup); a user-triggered reschedule (Fresh) restarts from the first group.
    @Test func affinityGroupsFallBackResumeAndRestart() {
        let taint = Taint(key: "maintenance", effect: "NoSchedule")
        let placement = Placement(clusterAffinities: [
            ClusterAffinityTerm(affinityName: "primary", affinity: ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "edge"]))),
            ClusterAffinityTerm(affinityName: "backup", affinity: ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "cloud"]))),
        ])
        let tainted = [SchedulerTests.site("edge-1", taints: [taint]), SchedulerTests.site("cloud-1", tier: "cloud")]
        let first = Scheduler().decide(SchedulerTests.context(2, placement), clusters: tainted)
        #expect(first == Scheduler.Decision(outcome: .scheduled([TargetCluster(name: "cloud-1", replicas: 2)]), affinityName: "backup"))

        let healthy = [SchedulerTests.site("edge-1"), SchedulerTests.site("cloud-1", tier: "cloud")]
        var resumed = SchedulerTests.context(2, placement, previous: [TargetCluster(name: "cloud-1", replicas: 2)])
        resumed.observedAffinityName = "backup"
        #expect(Scheduler().decide(resumed, clusters: healthy).affinityName == "backup")
        resumed.fresh = true
        #expect(Scheduler().decide(resumed, clusters: healthy)
            == Scheduler.Decision(outcome: .scheduled([TargetCluster(name: "edge-1", replicas: 2)]), affinityName: "primary"))

        // Every group fails: the last group's reason (TaintToleration runs before ClusterAffinity), no observed group.
        let none = Scheduler().decide(SchedulerTests.context(2, placement), clusters: [SchedulerTests.site("edge-1", taints: [taint])])
        #expect(none.affinityName == nil)
        #expect(none.outcome == .unschedulable("0/1 clusters are available: 1 cluster(s) had untolerated taint {maintenance:NoSchedule}."))
    }
}
