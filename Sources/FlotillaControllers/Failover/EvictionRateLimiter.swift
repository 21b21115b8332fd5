/// A token bucket for evictions (`flotilla serve --eviction-rate`, Karmada's rate-limited eviction queue since v1.16):
/// `rate` evictions a second on average, up to `burst` at once after a quiet spell. Pure: the caller passes the time.
///
/// Worked example: rate 2, burst 2, both tokens spent at t = 0. At t = 0.25 s half a token has come back, so
/// `take` refuses and `wait` says 0.25 s; at t = 0.5 s one token is there and `take` succeeds.
public struct EvictionRateLimiter: Sendable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant?

    public init(rate: Double, burst: Double? = nil) {
        self.rate = max(rate, 0.001)
        self.burst = max(1, burst ?? rate.rounded(.up))
        tokens = self.burst
    }

    /// Takes one token if there is one.
    public mutating func take(now: ContinuousClock.Instant) -> Bool {
        refill(now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// How long until the next token.
    public mutating func wait(now: ContinuousClock.Instant) -> Duration {
        refill(now)
        return tokens >= 1 ? .zero : .milliseconds(Int64(((1 - tokens) / rate * 1000).rounded(.up)))
    }

    private mutating func refill(_ now: ContinuousClock.Instant) {
        if let last {
            let elapsed = (now - last).inSeconds
            tokens = min(burst, tokens + max(0, elapsed) * rate)
        }
        last = now
    }
}
