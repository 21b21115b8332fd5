import Foundation

/// Drives an `AccessNetwork` in time: paced to the clock at `speed` × real time, or as fast as it goes
/// (`speed` 0), or paused and stepped by hand. Publishes each step's events to the hub and expires
/// subscriptions. All access to the network goes through this actor.
public actor SimulationRunner {
    public let network: AccessNetwork
    public nonisolated let hub: NotificationHub
    /// Unix time of simulated time 0 (timestamps in the APIs are epoch + simulated seconds).
    public nonisolated let epoch: Double
    public private(set) var speed: Double
    public private(set) var paused: Bool
    /// Time read from the injected clock: elapsed since creation, and a sleep.
    private let elapsed: @Sendable () -> Duration
    private let sleep: @Sendable (Duration) async -> Void

    public init(network: sending AccessNetwork, hub: NotificationHub, speed: Double = 1, paused: Bool = false,
                epoch: Double = Date().timeIntervalSince1970, clock: some Clock<Duration> = ContinuousClock()) {
        self.network = network
        self.hub = hub
        self.speed = speed
        self.paused = paused
        self.epoch = epoch
        let start = clock.now
        elapsed = { start.duration(to: clock.now) }
        sleep = { duration in try? await clock.sleep(for: duration) }
    }

    /// Runs until cancelled.
    public func run() async {
        var anchorReal = elapsed()
        var anchorSim = network.now
        var anchorSpeed = speed
        while !Task.isCancelled {
            if paused {
                await sleep(.milliseconds(20))
                anchorReal = elapsed()
                anchorSim = network.now
                continue
            }
            if speed != anchorSpeed {
                anchorReal = elapsed()
                anchorSim = network.now
                anchorSpeed = speed
            }
            advanceOneStep()
            if speed > 0 {
                // Sleep until real time catches up with simulated time.
                let due = (network.now - anchorSim) / speed
                let real = elapsed() - anchorReal
                let ahead = due - (Double(real.components.seconds) + Double(real.components.attoseconds) / 1e18)
                if ahead > 0 {
                    await sleep(.nanoseconds(Int64(ahead * 1e9)))
                } else if ahead < -1 {
                    // Too slow to keep up: do not try to catch up a backlog, re-anchor.
                    anchorReal = elapsed()
                    anchorSim = network.now
                }
            } else {
                await Task.yield()
            }
        }
    }

    private func advanceOneStep() {
        network.step()
        hub.publish(network.drainEvents(), network: network, epoch: epoch)
        hub.qos.publish(network.drainQoSChanges(), root: hub.apiRoot.withLock { $0 })
        _ = hub.expire(now: network.now)
    }

    public func pause() { paused = true }
    public func resume() { paused = false }

    /// Sets the pace: simulated seconds per real second; 0 runs as fast as the machine can.
    public func setSpeed(_ value: Double) { speed = value }

    /// Advances by `seconds` of simulated time at once (whole steps), whether paused or not.
    public func step(seconds: Double) {
        let target = network.now + seconds
        while network.now + network.stepSeconds <= target + 1e-9 { advanceOneStep() }
    }

    /// Reads or changes the network with nothing else running.
    public func withNetwork<T: Sendable>(_ body: @Sendable (AccessNetwork) throws -> T) rethrows -> T { try body(network) }
}
