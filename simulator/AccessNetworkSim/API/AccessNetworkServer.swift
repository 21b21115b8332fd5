import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The simulator as a service: the engine paced by its runner, and the HTTP API on loopback. Stops cleanly on
/// graceful shutdown (streams are closed, callbacks stop, the engine stops).
public struct AccessNetworkServer: Service {
    public let runner: SimulationRunner
    public let host: String
    public let port: Int
    let onRunning: @Sendable (Int) -> Void
    let logger: Logger

    public init(runner: SimulationRunner, host: String = "127.0.0.1", port: Int = 0, logger: Logger = Logger(label: "flotilla.sim"),
                onRunning: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.runner = runner
        self.host = host
        self.port = port
        self.logger = logger
        self.onRunning = onRunning
    }

    public func makeApplication() -> some ApplicationProtocol {
        let hub = runner.hub
        let host = self.host
        let onRunning = self.onRunning
        return Application(router: AccessNetworkAPI(runner: runner).router(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "flotilla-sim"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                hub.apiRoot.withLock { $0 = "http://\(host):\(port)" }
                onRunning(port)
            },
            logger: logger)
    }

    public func run() async throws {
        let app = makeApplication()
        let runner = self.runner
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await runner.run() }
            try await withGracefulShutdownHandler {
                try await app.runService()
            } onGracefulShutdown: {
                runner.hub.closeAllStreams()
            }
            group.cancelAll()
        }
        runner.hub.closeAllStreams()
    }
}
