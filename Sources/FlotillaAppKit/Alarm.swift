import Synchronization

/// A sleep another task can cut short: `sleep(until:)` returns at the deadline, at `ring()`, or when the sleeping task
/// is cancelled. A ring while nobody sleeps is kept for the next sleep, which then returns at once (a ring is never
/// lost between a sleeper's last look at its work and its next sleep).
final class Alarm: Sendable {
    private struct State {
        var sleeper: Task<Void, Never>?
        var rung = false
    }

    private let state = Mutex(State())

    func ring() {
        state.withLock { state in
            state.rung = true
            state.sleeper?.cancel()
        }
    }

    func sleep(until deadline: ContinuousClock.Instant) async {
        let sleeper = Task<Void, Never> { _ = try? await Task.sleep(until: deadline, clock: .continuous) }
        let rang = state.withLock { state in
            if state.rung { return true }
            state.sleeper = sleeper
            return false
        }
        if rang { sleeper.cancel() }
        await withTaskCancellationHandler {
            await sleeper.value
        } onCancel: {
            sleeper.cancel()
        }
        // Awake: whatever rang is about to be looked at.
        state.withLock { state in
            state.sleeper = nil
            state.rung = false
        }
    }
}
