@testable import FlotillaControllers
import Testing

/// A binding is aggregated at most once per interval; reports within it wait, once, for the rest of it.
@Suite struct AggregationPacingTests {
    @Test func firstReportIsDueThenReportsWithinTheIntervalWaitOnce() {
        var pacing = AggregationPacing(interval: .milliseconds(200))
        // Never aggregated: due at once.
        var split = pacing.split(["b", "a"], now: .milliseconds(1_000))
        #expect(split.due == ["a", "b"] && split.later.isEmpty)
        pacing.aggregated("a", at: .milliseconds(1_000))
        pacing.aggregated("b", at: .milliseconds(1_000))
        // 50 ms later: both wait.
        split = pacing.split(["a", "b"], now: .milliseconds(1_050))
        #expect(split.due.isEmpty && split.later == ["a", "b"])
        // More reports while waiting are folded in: nothing is handed back twice.
        split = pacing.split(["a"], now: .milliseconds(1_100))
        #expect(split.due.isEmpty && split.later.isEmpty)
        // Handed back after the interval: due.
        split = pacing.split(["a", "b"], now: .milliseconds(1_250))
        #expect(split.due == ["a", "b"] && split.later.isEmpty)
    }

    @Test func aSyncCountsAsAnAggregation() {
        var pacing = AggregationPacing(interval: .milliseconds(200))
        pacing.aggregated("a", at: .seconds(5))
        #expect(pacing.split(["a"], now: .seconds(5) + .milliseconds(199)).later == ["a"])
        // After it comes due, waiting starts afresh with the next aggregation.
        #expect(pacing.split(["a"], now: .seconds(6)).due == ["a"])
        pacing.aggregated("a", at: .seconds(6))
        #expect(pacing.split(["a"], now: .seconds(6) + .milliseconds(10)).later == ["a"])
    }

    /// A binding synced (its spec or template changed) while it waited is aggregated by the sync; a report after
    /// that is handed back again, not folded into the wait that already ended.
    @Test func aSyncDuringAWaitEndsIt() {
        var pacing = AggregationPacing(interval: .milliseconds(200))
        pacing.aggregated("a", at: .seconds(1))
        #expect(pacing.split(["a"], now: .seconds(1) + .milliseconds(50)).later == ["a"])
        pacing.aggregated("a", at: .seconds(1) + .milliseconds(100))
        #expect(pacing.split(["a"], now: .seconds(1) + .milliseconds(150)).later == ["a"])
    }

    @Test func retainForgetsBindingsThatWent() {
        var pacing = AggregationPacing(interval: .milliseconds(200))
        pacing.aggregated("a", at: .seconds(1))
        pacing.aggregated("gone", at: .seconds(1))
        #expect(pacing.split(["gone"], now: .seconds(1)).later == ["gone"])
        pacing.retain(["a"])
        // A binding of the same key made again is due at once, and not counted as waiting.
        #expect(pacing.split(["gone"], now: .seconds(1)).due == ["gone"])
        #expect(pacing.split(["a"], now: .seconds(1)).later == ["a"])
    }
}
