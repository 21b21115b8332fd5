import Testing
@testable import FlotillaControllers

/// The scheduling queue's rules, with the time given explicitly.
@Suite struct SchedulingQueueTests {
    typealias Candidate = SchedulingQueue.Candidate
    static let start = ContinuousClock.now

    static func candidates(_ specs: [(String, Int64)], changed: Set<String> = []) -> [Candidate] {
        specs.map { Candidate(key: $0.0, priority: $0.1, changed: changed.contains($0.0)) }
    }

    @Test func higherPriorityFirstThenFirstArrived() {
        var queue = SchedulingQueue()
        // b arrives before a and c; a and b share a priority, c is higher.
        _ = queue.ready(Self.candidates([("b", 0)]), now: Self.start, clustersChanged: false)
        let (order, due) = queue.ready(Self.candidates([("a", 0), ("b", 0), ("c", 5)]), now: Self.start, clustersChanged: false)
        #expect(order == ["c", "b", "a"])
        #expect(due == nil)
    }

    /// 1 s, 2 s, 4 s, 8 s, then 10 s at most; a success starts over.
    @Test func failuresBackOffExponentiallyUpToTenSeconds() {
        var queue = SchedulingQueue()
        let waits = (0..<6).map { _ in queue.failed("a", now: Self.start) }
        #expect(waits == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10)])
        // Held back until its time, then taken.
        let early = queue.ready(Self.candidates([("a", 0), ("b", 0)]), now: Self.start + .seconds(9), clustersChanged: true)
        #expect(early.keys == ["b"] && early.nextDue == .seconds(1))
        #expect(queue.ready(Self.candidates([("a", 0)]), now: Self.start + .seconds(10), clustersChanged: false).keys == ["a"])
        queue.succeeded("a")
        #expect(queue.failed("a", now: Self.start) == .seconds(1))
    }

    @Test func unschedulableWaitsForAClusterChangeOrFiveMinutes() {
        var queue = SchedulingQueue()
        queue.markUnschedulable("a", now: Self.start)
        let waiting = queue.ready(Self.candidates([("a", 0)]), now: Self.start + .seconds(1), clustersChanged: false)
        #expect(waiting.keys.isEmpty && waiting.nextDue == .seconds(299))
        #expect(queue.ready(Self.candidates([("a", 0)]), now: Self.start + .seconds(2), clustersChanged: true).keys == ["a"])
        queue.markUnschedulable("a", now: Self.start)
        #expect(queue.ready(Self.candidates([("a", 0)]), now: Self.start + .seconds(300), clustersChanged: false).keys == ["a"])
        #expect(queue.waiting == 0)
    }

    /// An update to the binding itself (new replicas, a new policy) is looked at at once, whatever it waited for.
    @Test func aChangedBindingSkipsTheWait() {
        var queue = SchedulingQueue()
        queue.markUnschedulable("a", now: Self.start)
        _ = queue.failed("b", now: Self.start)
        let order = queue.ready(Self.candidates([("a", 0), ("b", 0)], changed: ["a", "b"]), now: Self.start, clustersChanged: false)
        #expect(order.keys == ["a", "b"] && order.nextDue == nil)
        queue.forget("a")
        queue.forget("b")
        #expect(queue.waiting == 0)
    }
}
