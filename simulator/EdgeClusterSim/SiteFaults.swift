import FlotillaServer
import Synchronization

/// The API-level faults of one site: added latency and a partition that holds every request until healed.
/// (A site that is down has no listener at all; see `EdgeSite.down()`.)
public final class SiteFaults: RequestGate {
    struct State {
        var latency: Duration = .zero
        var partitioned = false
        var held: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    public func pass() async {
        let latency = state.withLock { $0.latency }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let hold = state.withLock { state -> Bool in
                if state.partitioned { state.held.append(continuation) }
                return state.partitioned
            }
            if !hold { continuation.resume() }
        }
        if latency > .zero { try? await Task.sleep(for: latency) }
    }

    /// Every request takes this much longer (zero removes it).
    public func setLatency(_ latency: Duration) { state.withLock { $0.latency = max(latency, .zero) } }

    /// Requests hang until `heal()`: the site is reachable but says nothing, like a black-holed link.
    public func partition() { state.withLock { $0.partitioned = true } }

    /// Ends the partition and lets the held requests through.
    public func heal() {
        let held = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.partitioned = false
            defer { state.held.removeAll() }
            return state.held
        }
        for continuation in held { continuation.resume() }
    }

    public var latency: Duration { state.withLock { $0.latency } }
    public var isPartitioned: Bool { state.withLock { $0.partitioned } }
}
