import FlotillaAPI
import Testing
@testable import FlotillaScheduler

@Suite struct DynamicDivisionTests {
    typealias Candidate = DynamicDivision.Candidate

    static func targets(_ pairs: KeyValuePairs<String, Int32>) -> [TargetCluster] {
        pairs.map { TargetCluster(name: $0.key, replicas: $0.value) }
    }

    func divide(_ replicas: Int, _ candidates: [Candidate], previous: [TargetCluster] = [], mode: DynamicDivision.Mode = .steady,
                aggregated: Bool = false) throws -> [TargetCluster] {
        try DynamicDivision.divide(replicas, candidates: candidates, previous: previous, mode: mode, aggregated: aggregated, bindingUID: "")
    }

    /// First schedule: 6 by free capacity a=4, b=2 → seats a, b, a, a, b, a → a=4, b=2.
    @Test func firstScheduleFollowsCapacity() throws {
        #expect(try divide(6, [Candidate(name: "a", allocatable: 4), Candidate(name: "b", allocatable: 2)]) == Self.targets(["a": 4, "b": 2]))
    }

    @Test func notEnoughCapacityIsUnschedulable() {
        #expect(throws: DynamicDivision.Unschedulable(available: 6)) {
            try divide(7, [Candidate(name: "a", allocatable: 4), Candidate(name: "b", allocatable: 2)])
        }
    }

    /// Scale-up 3 → 5 with previous a=2, b=1 and free a=1, b=3: the delta 2 goes b (3 vs 1), then a (tie 1 = 1,
    /// fewer seats) → a=3, b=2.
    @Test func scaleUpDividesOnlyTheDeltaByFreeCapacity() throws {
        let result = try divide(5, [Candidate(name: "a", allocatable: 1), Candidate(name: "b", allocatable: 3)],
            previous: Self.targets(["a": 2, "b": 1]))
        #expect(result == Self.targets(["a": 3, "b": 2]))
    }

    /// Scale-down 6 → 3 with previous a=4, b=2: 3 divided by 4:2 → a, b, a → a=2, b=1.
    @Test func scaleDownShrinksProportionally() throws {
        let result = try divide(3, [Candidate(name: "a", allocatable: 0), Candidate(name: "b", allocatable: 0)],
            previous: Self.targets(["a": 4, "b": 2]))
        #expect(result == Self.targets(["a": 2, "b": 1]))
    }

    @Test func unchangedReplicasKeepThePreviousResult() throws {
        let previous = Self.targets(["a": 1, "b": 5])
        #expect(try divide(6, [Candidate(name: "a", allocatable: 9), Candidate(name: "b", allocatable: 0)], previous: previous) == previous)
    }

    /// Fresh: weights = free + assigned (a=0+4, b=6+2 → 4:8); 6 from scratch → b, a, b, b, a, b → a=2, b=4.
    @Test func freshModeIgnoresThePreviousSplit() throws {
        let result = try divide(6, [Candidate(name: "a", allocatable: 0), Candidate(name: "b", allocatable: 6)],
            previous: Self.targets(["a": 4, "b": 2]), mode: .fresh)
        #expect(result == Self.targets(["a": 2, "b": 4]))
    }

    /// A cluster that left the candidates loses its replicas; they are re-placed as part of the delta.
    @Test func clustersThatLeftAreDropped() throws {
        let result = try divide(4, [Candidate(name: "a", allocatable: 10)], previous: Self.targets(["a": 2, "gone": 2]))
        #expect(result == Self.targets(["a": 4]))
    }

    /// Aggregated first schedule: capacity order b(10), c(4), a(2); b alone covers 5 → all on b.
    @Test func aggregatedPacksOntoFewestClusters() throws {
        let candidates = [Candidate(name: "a", allocatable: 2), Candidate(name: "b", allocatable: 10), Candidate(name: "c", allocatable: 4)]
        #expect(try divide(5, candidates, aggregated: true) == Self.targets(["b": 5]))
    }

    /// Aggregated scale-up 2 → 6 with c used before: order c (3 free), then b (10), a (2); c alone (3) < 4, so the
    /// prefix is [c, b]; 4 by 3:10 → b, b, c, b → b=3, c=2+1=3.
    @Test func aggregatedPrefersClustersAlreadyUsed() throws {
        let candidates = [Candidate(name: "a", allocatable: 2), Candidate(name: "b", allocatable: 10), Candidate(name: "c", allocatable: 3)]
        let result = try divide(6, candidates, previous: Self.targets(["c": 2]), aggregated: true)
        #expect(result == Self.targets(["b": 3, "c": 3]))
    }
}
