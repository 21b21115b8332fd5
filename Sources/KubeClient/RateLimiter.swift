/// A token bucket: `perSecond` tokens refill continuously up to `burst`; `acquire` waits for one.
actor RateLimiter {
    let perSecond: Double
    let burst: Double
    private var tokens: Double
    private var last = ContinuousClock.now

    init(perSecond: Double, burst: Int) {
        self.perSecond = max(perSecond, 0.001)
        self.burst = Double(max(burst, 1))
        self.tokens = Double(max(burst, 1))
    }

    func acquire() async {
        while true {
            let now = ContinuousClock.now
            let elapsed = now - last
            last = now
            tokens = min(burst, tokens + perSecond * elapsed.inSeconds)
            if tokens >= 1 {
                tokens -= 1
                return
            }
            let wait = (1 - tokens) / perSecond
            try? await Task.sleep(for: .milliseconds(Int64(wait * 1000) + 1))
            if Task.isCancelled { return }
        }
    }
}
