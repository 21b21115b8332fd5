import NIOCore
import Synchronization

/// Runs `body` on an event loop every `interval`, at a fixed rate (a late run does not push the later ones back),
/// from `start()` until `stop()`. On the loop whose sockets the body uses, a run wakes no other thread. `body` gets
/// the run's number (0, 1, 2, …).
final class LoopClock: Sendable {
    let eventLoop: any EventLoop
    let interval: TimeAmount
    let body: @Sendable (Int) -> Void
    private let state = Mutex<(scheduled: Scheduled<Void>?, stopped: Bool)>((nil, false))

    init(on eventLoop: any EventLoop, every interval: Duration, _ body: @escaping @Sendable (Int) -> Void) {
        self.eventLoop = eventLoop
        self.interval = TimeAmount(interval)
        self.body = body
    }

    /// The first run is at once.
    func start() {
        eventLoop.execute { [self] in run(0, at: .now()) }
    }

    private func run(_ count: Int, at deadline: NIODeadline) {
        guard !state.withLock({ $0.stopped }) else { return }
        body(count)
        let next = deadline + interval
        let scheduled = eventLoop.scheduleTask(deadline: next) { [self] in run(count + 1, at: next) }
        state.withLock { state in
            if state.stopped { scheduled.cancel() } else { state.scheduled = scheduled }
        }
    }

    /// No run starts once this returns, and one under way has finished.
    func stop() async {
        let scheduled = state.withLock { state in
            state.stopped = true
            return state.scheduled
        }
        scheduled?.cancel()
        try? await eventLoop.submit {}.get()
    }
}
