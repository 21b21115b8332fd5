import Testing
@testable import FlotillaMEC

/// The mobility policy on scripted observations (one every 100 ms).
@Suite struct MobilityPolicyTests {
    static let policy = MobilityPolicy(marginMs: 2, marginRatio: 0.15, dwell: .milliseconds(500), budgetGrace: .milliseconds(100),
                                       holdDown: .seconds(2), trendMsPerSecond: 4)

    /// Feeds `(rtt per site)` samples 100 ms apart; returns the index and decision of the first move.
    static func run(_ samples: [[String: Double]], current: String = "edge-1", budget: Double? = 30) -> (Int, MobilityPolicy.Decision)? {
        var tracker = MobilityPolicy.Tracker()
        let start = ContinuousClock.now
        for (i, rtt) in samples.enumerated() {
            if let decision = policy.observe(&tracker, current: current, rttMs: rtt, budgetMs: budget, now: start + .milliseconds(100 * i)) {
                return (i, decision)
            }
        }
        return nil
    }

    @Test func aClearlyBetterSiteWinsAfterTheDwell() throws {
        // edge-2 is 8 ms better from the first sample on: the decision comes at 500 ms, the sixth sample.
        let (index, decision) = try #require(Self.run(Array(repeating: ["edge-1": 20, "edge-2": 12], count: 10)))
        #expect(index == 5)
        #expect(decision == MobilityPolicy.Decision(target: "edge-2", reason: "BetterSite", sourceRttMs: 20, targetRttMs: 12))
    }

    @Test func pingPongAtACellEdgeNeverMoves() {
        // The UE flips between two cells every 300 ms: each site leads for less than the dwell.
        let a: [String: Double] = ["edge-1": 12, "edge-2": 20], b: [String: Double] = ["edge-1": 20, "edge-2": 12]
        let samples = (0..<60).map { ($0 / 3) % 2 == 0 ? b : a }
        #expect(Self.run(samples) == nil)
    }

    @Test func aSmallAdvantageIsNotEnough() {
        // 1.5 ms better is under the 2 ms margin; 3 ms better out of 40 is under 15 %.
        #expect(Self.run(Array(repeating: ["edge-1": 12, "edge-2": 10.5], count: 20)) == nil)
        #expect(Self.run(Array(repeating: ["edge-1": 40, "edge-2": 37], count: 20), budget: 50) == nil)
    }

    @Test func aBrokenBudgetMovesAfterTheGrace() throws {
        let (index, decision) = try #require(Self.run(Array(repeating: ["edge-1": 45, "edge-2": 25], count: 5)))
        #expect(index == 1)
        #expect(decision.reason == "BudgetExceeded" && decision.target == "edge-2")
        // …but not to a site that breaks it too (no better than 30 anywhere).
        #expect(Self.run(Array(repeating: ["edge-1": 45, "edge-2": 35], count: 3)) == nil)
    }

    @Test func aSteadyClimbIsPredicted() throws {
        // The current site's RTT rises 1 ms per 100 ms (10 ms/s) while edge-2 stays at 12: moved before the dwell ends.
        let samples = (0..<10).map { ["edge-1": 20 + Double($0), "edge-2": 12] }
        let (index, decision) = try #require(Self.run(samples))
        #expect(index == 3)
        #expect(decision.reason == "Predicted")
    }

    @Test func holdDownAfterAMigration() {
        var tracker = MobilityPolicy.Tracker()
        let start = ContinuousClock.now
        tracker.migrated(at: start)
        for i in 0..<15 {
            #expect(Self.policy.observe(&tracker, current: "edge-1", rttMs: ["edge-1": 45, "edge-2": 12], budgetMs: 30,
                                        now: start + .milliseconds(100 * i)) == nil)
        }
    }
}
