import Hummingbird
import Logging
import ServiceLifecycle

/// Runs an app's router on a loopback port (0: a free one) until the returned task is cancelled: how the simulated
/// sites' workloads and the demo's game servers listen.
public enum AppServer {
    public struct Running: Sendable {
        public let port: Int
        public let task: Task<Void, any Error>
        let group: ServiceGroup

        /// Stops accepting first, then waits for the listener to close: cancelling a server while a connection it
        /// accepted is not yet being served traps in NIO ("Deinited NIOAsyncWriter without calling finish()",
        /// swift-nio #3481), and instances are stopped while their peers still talk to them (checkpoints, lease
        /// checks, migrations). Requests still in flight after a second are cut.
        public func stop() async {
            let group = self.group
            Task { await group.triggerGracefulShutdown() }
            _ = await task.result
        }
    }

    public struct DidNotStart: Error, CustomStringConvertible {
        public var name: String
        public var description: String { "\(name) did not start listening" }
    }

    public static func start(router: Router<BasicRequestContext>, host: String = "127.0.0.1", port: Int = 0, name: String) async throws -> Running {
        // Stopping cancels the server, which Hummingbird reports at error level; only worse is worth a line.
        var logger = Logger(label: "flotilla.app")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: name),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        var configuration = ServiceGroupConfiguration(services: [.init(service: app)], gracefulShutdownSignals: [], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(1)
        let group = ServiceGroup(configuration: configuration)
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next(), bound > 0 else {
            task.cancel()
            throw DidNotStart(name: name)
        }
        return Running(port: bound, task: task, group: group)
    }
}
