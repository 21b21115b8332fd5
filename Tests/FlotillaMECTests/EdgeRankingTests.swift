import Testing
@testable import FlotillaMEC

/// Discovery's ranking, with the expected order worked out by hand from the rule in EdgeRanking's comment.
@Suite struct EdgeRankingTests {
    static let rtt: [String: Double] = ["edge-1": 9, "edge-2": 14, "edge-3": 14, "cloud": 52]

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var instances: [EdgeInstance]
        var budget: Double?
        var expected: [String]
        var skipped: [String: String]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "lowest RTT first", instances: [
            EdgeInstance(site: "edge-2", endpoint: "b:1", capacity: 10), EdgeInstance(site: "edge-1", endpoint: "a:1", capacity: 10),
            EdgeInstance(site: "cloud", endpoint: "c:1")],
             budget: 30, expected: ["a:1", "b:1", "c:1"], skipped: [:]),
        // edge-1 is nearest but full: the free one at 14 ms wins.
        Case(name: "a full site is skipped for a free one", instances: [
            EdgeInstance(site: "edge-1", endpoint: "a:1", capacity: 10, load: 10), EdgeInstance(site: "edge-2", endpoint: "b:1", capacity: 10, load: 3)],
             budget: 30, expected: ["b:1"], skipped: ["a:1": "Full: 10 of 10 sessions"]),
        // Equal RTT (14 ms): the less utilized first (2/10 < 6/10), whatever the input order.
        Case(name: "equal RTT goes to the less loaded", instances: [
            EdgeInstance(site: "edge-2", endpoint: "b:1", capacity: 10, load: 6), EdgeInstance(site: "edge-3", endpoint: "c:1", capacity: 10, load: 2)],
             budget: 30, expected: ["c:1", "b:1"], skipped: [:]),
        // Over budget ranks after within budget even when nothing else is nearer.
        Case(name: "over budget last", instances: [
            EdgeInstance(site: "cloud", endpoint: "z:1"), EdgeInstance(site: "edge-3", endpoint: "c:1")],
             budget: 20, expected: ["c:1", "z:1"], skipped: [:]),
        // Load against RTT: edge-1 (9 ms) is 19 of 20 full, so its load adds 19 ms (cost 28); edge-2 (14 ms) is idle.
        // At 9 of 20 (0.8 ms added, cost 9.8) the nearer one still wins.
        Case(name: "a nearly full instance ranks below a slightly farther idle one", instances: [
            EdgeInstance(site: "edge-1", endpoint: "a:1", capacity: 20, load: 19), EdgeInstance(site: "edge-2", endpoint: "b:1", capacity: 20)],
             budget: 30, expected: ["b:1", "a:1"], skipped: [:]),
        Case(name: "a half-loaded nearer instance still wins", instances: [
            EdgeInstance(site: "edge-1", endpoint: "a:1", capacity: 20, load: 9), EdgeInstance(site: "edge-2", endpoint: "b:1", capacity: 20)],
             budget: 30, expected: ["a:1", "b:1"], skipped: [:]),
        Case(name: "not ready and unreachable are skipped", instances: [
            EdgeInstance(site: "edge-1", endpoint: "a:1", ready: false), EdgeInstance(site: "far", endpoint: "f:1"),
            EdgeInstance(site: "edge-2", endpoint: "b:1")],
             budget: nil, expected: ["b:1"], skipped: ["a:1": "NotReady", "f:1": "NoPathFromUE"]),
    ]

    @Test(arguments: cases) func ranks(_ c: Case) {
        let (ranked, skipped) = EdgeRanking.rank(c.instances, rttMs: Self.rtt, budgetMs: c.budget)
        #expect(ranked.map(\.instance.endpoint) == c.expected)
        #expect(Dictionary(uniqueKeysWithValues: skipped.map { ($0.instance.endpoint, $0.reason) }) == c.skipped)
    }

    @Test func reasonsSayWhy() {
        let (ranked, _) = EdgeRanking.rank([EdgeInstance(site: "edge-1", endpoint: "a:1", capacity: 10, load: 3),
                                            EdgeInstance(site: "cloud", endpoint: "z:1")], rttMs: Self.rtt, budgetMs: 30)
        #expect(ranked[0].reason == "within budget: predicted 9 ms of a 30 ms budget, 3 sessions of 10")
        #expect(ranked[1].reason == "over budget: predicted 52 ms of a 30 ms budget, 0 sessions")
        #expect(ranked[0].withinBudget && !ranked[1].withinBudget)
    }

    @Test func loadDelayIsAnMM1Wait() {
        #expect(EdgeRanking.loadDelayMs(utilization: 0) == 0)
        #expect(EdgeRanking.loadDelayMs(utilization: 0.5) == 1)
        #expect(abs(EdgeRanking.loadDelayMs(utilization: 0.9) - 9) < 1e-9)
        #expect(EdgeRanking.loadDelayMs(utilization: 1) == EdgeRanking.maxLoadDelayMs)
        let (ranked, _) = EdgeRanking.rank([EdgeInstance(site: "edge-1", endpoint: "a:1", capacity: 20, load: 19)], rttMs: Self.rtt, budgetMs: 30)
        #expect(ranked[0].reason == "within budget: predicted 9 ms of a 30 ms budget, 19 sessions of 20 (load adds 19 ms)")
    }

    @Test func topKEqualsTheFullSortsPrefix() {
        var instances: [EdgeInstance] = []
        var rtt: [String: Double] = [:]
        for i in 0..<200 {
            let site = "s\(i)"
            rtt[site] = Double((i * 37) % 50)
            instances.append(EdgeInstance(site: site, endpoint: "e\(i):1", capacity: 10, load: (i * 7) % 10))
        }
        let all = EdgeRanking.rank(instances, rttMs: rtt, budgetMs: 25).ranked.map(\.instance.endpoint)
        for k in [1, 3, 10] {
            #expect(EdgeRanking.rank(instances, rttMs: rtt, budgetMs: 25, limit: k).ranked.map(\.instance.endpoint) == Array(all.prefix(k)))
        }
    }
}
