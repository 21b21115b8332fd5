import FlotillaAPI
import Foundation
import Synchronization

/// The time a controller reads and sleeps on, injected so that a test can run minutes of it in milliseconds:
/// `SystemRuntimeClock` is the machine's, `ManualRuntimeClock` moves only when the test says.
public protocol RuntimeClock: TimeSource {
    /// Monotonic time since the clock started (never goes back; unrelated to `now()`'s wall-clock date).
    var elapsed: Duration { get }
    /// Returns after `duration` of this clock's time; throws `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// The clock to sleep on for a controller given `time`: `time` itself when it is a `RuntimeClock` (a test's manual
/// clock), else the system's.
public func runtimeClock(_ time: any TimeSource) -> any RuntimeClock { (time as? any RuntimeClock) ?? SystemRuntimeClock() }

public struct SystemRuntimeClock: RuntimeClock {
    private let start = ContinuousClock.now

    public init() {}
    public func now() -> Date { Date() }
    public var elapsed: Duration { ContinuousClock.now - start }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// A clock for tests: `advance(by:)` moves it and wakes the sleepers whose time has come, in deadline order.
public final class ManualRuntimeClock: RuntimeClock {
    private struct Sleeper {
        let id: Int
        let deadline: Duration
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var elapsed: Duration = .zero
        var sleepers: [Sleeper] = []
        var next = 0
        var cancelled: Set<Int> = []
    }

    private let state = Mutex(State())
    private let start: Date

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { self.start = start }

    public func now() -> Date { start.addingTimeInterval(elapsed.inSeconds) }
    public var elapsed: Duration { state.withLock { $0.elapsed } }

    /// Tasks sleeping on the clock now.
    public var sleeping: Int { state.withLock { $0.sleepers.count } }

    public func sleep(for duration: Duration) async throws {
        let id = state.withLock { state in
            state.next += 1
            return state.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resume: (any Error)?? = state.withLock { state in
                    if state.cancelled.remove(id) != nil { return .some(CancellationError()) }
                    if duration <= .zero { return .some(nil) }
                    state.sleepers.append(Sleeper(id: id, deadline: state.elapsed + duration, continuation: continuation))
                    return .none
                }
                switch resume {
                case .some(.some(let error)): continuation.resume(throwing: error)
                case .some(.none): continuation.resume()
                case .none: break
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward and wakes every sleeper whose deadline has passed.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.elapsed += duration
            let due = state.sleepers.filter { $0.deadline <= state.elapsed }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= state.elapsed }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}
