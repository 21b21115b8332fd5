import FlotillaAPI
import Testing
@testable import FlotillaScheduler

/// Flotilla's MEC placement, with expected values worked by hand from the rules in docs/scheduler.md.
/// The area → cluster matrix (ms) used throughout:
///             edge-1  edge-2  edge-3  cloud
///   harbour     13      16      19     50
///   station     19      16      13     50
///   market      16      13      16     50
@Suite struct LatencyPlacementTests {
    static let rtt: [String: [String: Double]] = [
        "harbour": ["edge-1": 13, "edge-2": 16, "edge-3": 19, "cloud": 50],
        "station": ["edge-1": 19, "edge-2": 16, "edge-3": 13, "cloud": 50],
        "market": ["edge-1": 16, "edge-2": 13, "edge-3": 16, "cloud": 50],
    ]

    static func cluster(_ name: String, cpu: String = "4") -> Cluster {
        var cluster = Cluster(metadata: ObjectMeta(name: name), spec: ClusterSpec())
        var status = ClusterStatus()
        status.resourceSummary = ResourceSummary(allocatable: ["cpu": try! Quantity(parsing: cpu), "pods": try! Quantity(parsing: "110")])
        cluster.status = status
        return cluster
    }

    static func context(replicas: Int = 8, budget: Double? = 30, demand: [String: Int], divide: Bool = false,
                        duplicated: Bool = false) -> SchedulingContext {
        let strategy = duplicated ? ReplicaSchedulingStrategy(replicaSchedulingType: "Duplicated")
            : ReplicaSchedulingStrategy(replicaSchedulingType: "Divided", replicaDivisionPreference: "Weighted")
        return SchedulingContext(bindingUID: "uid-even-0", resource: ObjectReference(apiVersion: "apps/v1", kind: "Deployment",
            namespace: "games", name: "game", uid: nil), replicas: replicas, replicaRequest: ["cpu": try! Quantity(parsing: "250m")],
            placement: Placement(replicaScheduling: strategy),
            latency: LatencyRequirement(budgetMs: budget, demand: demand, rtt: rtt, divideByDemand: divide))
    }

    struct FilterCase: Sendable, CustomStringConvertible {
        var name: String
        var budget: Double
        var demand: [String: Int]
        var passing: [String]
        var description: String { name }
    }

    static let filterCases: [FilterCase] = [
        // Within 30 ms of harbour: edge-1 (13), edge-2 (16), edge-3 (19); cloud at 50 is not.
        FilterCase(name: "budget 30, users in the harbour", budget: 30, demand: ["harbour": 30], passing: ["edge-1", "edge-2", "edge-3"]),
        // Within 14 ms: only edge-1 from harbour, only edge-3 from station; market has no users, so edge-2 (13 ms there) fails.
        FilterCase(name: "budget 14, harbour and station", budget: 14, demand: ["harbour": 30, "station": 10, "market": 0],
            passing: ["edge-1", "edge-3"]),
        // No demand yet: every area of the matrix counts, so edge-2 passes through market.
        FilterCase(name: "budget 14, no demand", budget: 14, demand: [:], passing: ["edge-1", "edge-2", "edge-3"]),
        FilterCase(name: "budget 10, nobody close enough", budget: 10, demand: ["harbour": 1], passing: []),
        // A cluster not in the matrix is unknown, hence dropped.
        FilterCase(name: "budget 60, cloud passes, unknown edge-9 does not", budget: 60, demand: ["station": 5],
            passing: ["cloud", "edge-1", "edge-2", "edge-3"]),
    ]

    @Test(arguments: filterCases)
    func latencyFilter(_ c: FilterCase) {
        let context = Self.context(budget: c.budget, demand: c.demand)
        let passing = ["cloud", "edge-1", "edge-2", "edge-3", "edge-9"].filter { LatencyFilter().filter(context, ClusterView(Self.cluster($0))) == nil }
        #expect(passing == c.passing)
    }

    @Test func latencyFilterWithoutAProfilePassesEverything() {
        var context = Self.context(demand: ["harbour": 1])
        context.latency = nil
        #expect(LatencyFilter().filter(context, ClusterView(Self.cluster("cloud"))) == nil)
    }

    @Test func latencyScore() {
        // harbour 30 users, station 10; budget 30.
        // edge-1: (30·(30−13)/30 + 10·(30−19)/30) / 40 = (17 + 3.667) / 40 = 0.5167 → 52
        // edge-3: (30·11/30 + 10·17/30) / 40 = (11 + 5.667) / 40 = 0.4167 → 42
        // edge-2: (30·14/30 + 10·14/30) / 40 = 14/30 = 0.4667 → 47;  cloud: beyond the budget everywhere → 0
        let context = Self.context(demand: ["harbour": 30, "station": 10])
        let scores = ["edge-1", "edge-2", "edge-3", "cloud"].map { LatencyScore().score(context, ClusterView(Self.cluster($0))) }
        #expect(scores == [52, 47, 42, 0])
    }

    struct DivisionCase: Sendable, CustomStringConvertible {
        var name: String
        var replicas: Int
        var demand: [String: Int]
        var allocatable: [String: Int]
        var expected: [String: Int]?
        var description: String { name }
    }

    static let divisionCases: [DivisionCase] = [
        // Webster over 30:10 with divisors 1, 3, 5…: quotients 30, 10 | 10, 6, 4.3, 3.3 | 3.3, 2.7 → 6 and 2.
        DivisionCase(name: "follows the users", replicas: 8, demand: ["harbour": 30, "station": 10],
            allocatable: ["edge-1": 16, "edge-2": 16, "edge-3": 16], expected: ["edge-1": 6, "edge-3": 2]),
        // edge-1 holds 4: 2 move to the cluster nearest the users with room. User-weighted mean RTT:
        // edge-1 (30·13 + 10·19)/40 = 14.5 (full), edge-2 (30·16 + 10·16)/40 = 16, edge-3 (30·19 + 10·13)/40 = 17.5 → edge-2.
        DivisionCase(name: "overflows to the next nearest", replicas: 8, demand: ["harbour": 30, "station": 10],
            allocatable: ["edge-1": 4, "edge-2": 16, "edge-3": 16], expected: ["edge-1": 4, "edge-2": 2, "edge-3": 2]),
        // The users move to the station: the replicas follow.
        DivisionCase(name: "demand moves", replicas: 8, demand: ["harbour": 0, "station": 40],
            allocatable: ["edge-1": 16, "edge-2": 16, "edge-3": 16], expected: ["edge-3": 8]),
        // No users anywhere: every candidate weighs 1 → Webster 3:3:2, the odd one by the UID tie-break order.
        DivisionCase(name: "no demand spreads evenly", replicas: 8, demand: [:],
            allocatable: ["edge-1": 16, "edge-2": 16, "edge-3": 16], expected: nil),
        DivisionCase(name: "not enough room", replicas: 8, demand: ["harbour": 1],
            allocatable: ["edge-1": 2, "edge-2": 2, "edge-3": 2], expected: [:]),
    ]

    @Test(arguments: divisionCases)
    func demandDivision(_ c: DivisionCase) {
        let latency = LatencyRequirement(budgetMs: 30, demand: c.demand, rtt: Self.rtt, divideByDemand: true)
        let candidates = c.allocatable.keys.sorted().map { DemandDivision.Candidate(name: $0, allocatable: c.allocatable[$0]!) }
        do {
            let result = try DemandDivision.divide(c.replicas, candidates: candidates, latency: latency, bindingUID: "uid-even-0")
            let counts = Dictionary(uniqueKeysWithValues: result.map { ($0.name, Int($0.replicas ?? 0)) })
            #expect(counts.values.reduce(0, +) == c.replicas)
            if let expected = c.expected {
                #expect(counts == expected)
            } else {
                #expect(counts.values.sorted() == [2, 3, 3])
            }
        } catch {
            #expect(c.expected == [:], "\(c.name): \(error)")
        }
    }

    @Test func schedulerDropsFarClustersAndDividesByDemand() {
        let clusters = ["cloud", "edge-1", "edge-2", "edge-3"].map { Self.cluster($0) }
        let divided = Scheduler().schedule(Self.context(demand: ["harbour": 30, "station": 10], divide: true), clusters: clusters)
        #expect(divided == .scheduled([TargetCluster(name: "edge-1", replicas: 6), TargetCluster(name: "edge-3", replicas: 2)]))
        let duplicated = Scheduler().schedule(Self.context(budget: 14, demand: ["harbour": 30, "station": 10], duplicated: true),
            clusters: clusters)
        #expect(duplicated == .scheduled([TargetCluster(name: "edge-1", replicas: 8), TargetCluster(name: "edge-3", replicas: 8)]))
        let none = Scheduler().schedule(Self.context(budget: 5, demand: ["harbour": 30]), clusters: clusters)
        #expect(none == .unschedulable("0/4 clusters are available: 4 cluster(s) cannot meet the 5 ms latency budget from any demand area."))
    }

    @Test func pluginsCanBeDisabledAndWeighted() throws {
        let clusters = ["cloud", "edge-1"].map { Self.cluster($0) }
        let context = Self.context(budget: 30, demand: ["harbour": 30], duplicated: true)
        let without = try Scheduler(configuration: SchedulerConfiguration(disabled: ["Latency"]))
        #expect(without.schedule(context, clusters: clusters)
            == .scheduled([TargetCluster(name: "cloud", replicas: 8), TargetCluster(name: "edge-1", replicas: 8)]))
        #expect(without.filters.map(\.name) == ["APIEnablement", "TaintToleration", "ClusterAffinity", "ClusterEviction"])
        let weighted = try Scheduler(configuration: SchedulerConfiguration(weights: ["Latency": 3, "ClusterLocality": 0]))
        #expect(weighted.scorers.map { "\($0.plugin.name)×\($0.weight)" } == ["Latency×3"])
        #expect(throws: SchedulerConfiguration.Invalid.self) { try Scheduler(configuration: SchedulerConfiguration(disabled: ["Gravity"])) }
        #expect(throws: SchedulerConfiguration.Invalid.self) { try Scheduler(configuration: SchedulerConfiguration(weights: ["APIEnablement": 2])) }
    }

    @Test func profileSelection() {
        let resource = ObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: "games", name: "game", uid: nil)
        func profile(_ name: String, _ selector: ResourceSelector, namespace: String = "games") -> AppProfile {
            AppProfile(metadata: ObjectMeta(name: name, namespace: namespace), spec: AppProfileSpec(workloads: [selector]))
        }
        let byLabel = profile("a-by-label", ResourceSelector(apiVersion: "apps/v1", kind: "Deployment",
            labelSelector: LabelSelector(matchLabels: ["app": "game"])))
        let byName = profile("z-by-name", ResourceSelector(apiVersion: "apps/v1", kind: "Deployment", name: "game"))
        let elsewhere = profile("other-namespace", ResourceSelector(apiVersion: "apps/v1", kind: "Deployment", name: "game"), namespace: "web")
        #expect(LatencyRequirement.profile(for: resource, labels: ["app": "game"], in: [byLabel, byName, elsewhere])?.metadata.name == "z-by-name")
        #expect(LatencyRequirement.profile(for: resource, labels: ["app": "game"], in: [byLabel, elsewhere])?.metadata.name == "a-by-label")
        #expect(LatencyRequirement.profile(for: resource, labels: [:], in: [byLabel, elsewhere]) == nil)
    }
}
