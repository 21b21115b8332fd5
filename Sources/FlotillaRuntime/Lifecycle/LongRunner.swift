import ServiceLifecycle

/// A long-running body (controllers, the MEC registry) as a swift-service-lifecycle `Service`. On graceful shutdown the
/// body is asked to stop the way it knows (a `ControllerLoop` finishes its pass; a body wrapped in
/// `cancelWhenGracefulShutdown` is cancelled at once) and gets `grace` to end before it is cancelled.
public struct LongRunner: ServiceLifecycle.Service {
    let grace: Duration
    let body: @Sendable () async -> Void

    public init(grace: Duration = .seconds(5), body: @escaping @Sendable () async -> Void) {
        self.grace = grace
        self.body = body
    }

    public func run() async throws {
        // The task inherits the group's graceful-shutdown context, so the body's own handlers fire.
        let task = Task { await body() }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await task.value
            } onGracefulShutdown: { [grace] in
                Task { await LongRunner.finish(task, within: grace) }
            }
        } onCancel: {
            // Cancelled rather than shut down gracefully: the body goes at once.
            task.cancel()
        }
    }

    /// Waits for `work` to end by itself, cancelling it after `grace`. Runs outside the caller's cancellation.
    public static func finish(_ work: Task<Void, Never>, within grace: Duration) async {
        await Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await work.value }
                group.addTask {
                    try? await Task.sleep(for: grace)
                    work.cancel()
                }
                await group.next()
                group.cancelAll()
            }
        }.value
    }
}
