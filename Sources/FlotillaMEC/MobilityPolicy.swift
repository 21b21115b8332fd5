/// When a session should move. Pure: `MobilityService` keeps one `Tracker` per session and feeds it observations.
///
/// - BudgetExceeded: the current site's predicted RTT is over the app's budget and another site is within it — move
///   at once (after `budgetGrace`, so a single jittery sample does not move a session).
/// - BetterSite: another site beats the current one by at least `marginMs` and `marginRatio`, continuously for
///   `dwell` — the hysteresis that keeps a UE on a cell edge from ping-ponging between sites.
/// - Predicted: the current site's RTT has risen by at least `trendMsPerSecond` over the last `dwell` and the best
///   other site is already better — move before the budget breaks.
/// After a migration the session holds still for `holdDown`.
public struct MobilityPolicy: Sendable {
    public var marginMs: Double
    public var marginRatio: Double
    public var dwell: Duration
    public var budgetGrace: Duration
    public var holdDown: Duration
    public var trendMsPerSecond: Double

    public init(marginMs: Double = 2, marginRatio: Double = 0.15, dwell: Duration = .milliseconds(500),
                budgetGrace: Duration = .milliseconds(100), holdDown: Duration = .seconds(2), trendMsPerSecond: Double = 4) {
        self.marginMs = marginMs
        self.marginRatio = marginRatio
        self.dwell = dwell
        self.budgetGrace = budgetGrace
        self.holdDown = holdDown
        self.trendMsPerSecond = trendMsPerSecond
    }

    public struct Decision: Sendable, Equatable {
        public var target: String
        public var reason: String
        public var sourceRttMs: Double?
        public var targetRttMs: Double
    }

    /// What the policy remembers about one session between observations.
    public struct Tracker: Sendable {
        var candidate: String?
        var candidateSince: ContinuousClock.Instant?
        var overBudgetSince: ContinuousClock.Instant?
        var lastMigration: ContinuousClock.Instant?
        var history: [(at: ContinuousClock.Instant, rtt: Double)] = []

        /// When the last observation was made.
        var observedAt: ContinuousClock.Instant?

        public init() {}

        /// Whether a timer must look again before the access network says anything: a candidate is serving its
        /// dwell, the budget is broken, the RTT is climbing, or the last look is older than `stale`.
        public func wantsAnotherLook(now: ContinuousClock.Instant, stale: Duration) -> Bool {
            candidate != nil || overBudgetSince != nil || climbing || observedAt.map { now - $0 >= stale } ?? true
        }

        var climbing: Bool {
            history.count > 1 && history[history.count - 1].rtt > history[history.count - 2].rtt
        }

        public mutating func migrated(at now: ContinuousClock.Instant) {
            self = Tracker()
            lastMigration = now
        }
    }

    /// A steady climb — at least four samples, each above the one before, at `rate` ms/s or more — as a UE walking
    /// away from its site's cells shows. A handover's one-off step is not a trend (the dwell rule handles it).
    static func rising(_ history: [(at: ContinuousClock.Instant, rtt: Double)], atLeast rate: Double) -> Bool {
        guard history.count >= 4, let first = history.first, let last = history.last else { return false }
        for index in history.indices.dropFirst() where history[index].rtt <= history[index - 1].rtt { return false }
        let span = last.at - first.at
        let seconds = span.inSeconds
        return seconds > 0 && (last.rtt - first.rtt) / seconds >= rate
    }

    /// One observation: the UE's predicted RTT per site where the app has room (`rttMs`), and the site serving the
    /// session now. Returns a decision when the session should move now.
    public func observe(_ tracker: inout Tracker, current: String, rttMs: [String: Double], budgetMs: Double?,
                        now: ContinuousClock.Instant) -> Decision? {
        tracker.observedAt = now
        let currentRtt = rttMs[current]
        if let currentRtt {
            tracker.history.append((now, currentRtt))
            tracker.history.removeAll { now - $0.at > dwell }
        }
        guard let best = rttMs.filter({ $0.key != current }).min(by: { ($0.value, $0.key) < ($1.value, $1.key) }) else {
            tracker.candidate = nil
            return nil
        }
        if let last = tracker.lastMigration, now - last < holdDown { return nil }
        let over = budgetMs.map { (currentRtt ?? .infinity) > $0 } ?? (currentRtt == nil)
        if over {
            tracker.overBudgetSince = tracker.overBudgetSince ?? now
        } else {
            tracker.overBudgetSince = nil
        }
        if over, let since = tracker.overBudgetSince, now - since >= budgetGrace || currentRtt == nil,
           budgetMs.map({ best.value <= $0 }) ?? true {
            return Decision(target: best.key, reason: "BudgetExceeded", sourceRttMs: currentRtt, targetRttMs: best.value)
        }
        guard let currentRtt else { return nil }
        let clearlyBetter = currentRtt - best.value >= marginMs && best.value <= currentRtt * (1 - marginRatio)
        guard clearlyBetter else {
            tracker.candidate = nil
            tracker.candidateSince = nil
            return nil
        }
        if tracker.candidate != best.key {
            tracker.candidate = best.key
            tracker.candidateSince = now
        }
        if Self.rising(tracker.history, atLeast: trendMsPerSecond) {
            return Decision(target: best.key, reason: "Predicted", sourceRttMs: currentRtt, targetRttMs: best.value)
        }
        if let since = tracker.candidateSince, now - since >= dwell {
            return Decision(target: best.key, reason: "BetterSite", sourceRttMs: currentRtt, targetRttMs: best.value)
        }
        return nil
    }
}
