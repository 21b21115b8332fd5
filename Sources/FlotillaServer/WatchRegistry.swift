import ServiceLifecycle
import Synchronization

/// The open watch streams, so that a graceful shutdown can end them: Hummingbird drains connections before it
/// stops, and a watch would otherwise keep its connection open forever.
public final class WatchRegistry: Sendable {
    struct State {
        var next = 0
        var open: [Int: @Sendable () -> Void] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Registers a watch; `finish` ends it. Returns nil (and finishes it) when the server is already draining.
    func register(_ finish: @escaping @Sendable () -> Void) -> Int? {
        let id: Int? = state.withLock { state in
            if state.closed { return nil }
            let id = state.next
            state.next += 1
            state.open[id] = finish
            return id
        }
        if id == nil { finish() }
        return id
    }

    func unregister(_ id: Int?) {
        guard let id else { return }
        _ = state.withLock { $0.open.removeValue(forKey: id) }
    }

    /// Ends every open watch and refuses new ones.
    public func closeAll() {
        let finishers = state.withLock { state -> [@Sendable () -> Void] in
            state.closed = true
            defer { state.open.removeAll() }
            return Array(state.open.values)
        }
        for finish in finishers { finish() }
    }

    /// Accepts watches again after `closeAll` (a simulated site coming back up).
    public func reopen() { state.withLock { $0.closed = false } }

    public var count: Int { state.withLock { $0.open.count } }
}

/// A service that, when graceful shutdown begins, ends the open watches. Run it in a `ServiceGroup` *after* the
/// application, so it is told first (groups shut down in reverse order).
public struct WatchDrainer: Service {
    let registry: WatchRegistry

    public init(registry: WatchRegistry) { self.registry = registry }

    public func run() async throws {
        try? await gracefulShutdown()
        registry.closeAll()
    }
}
