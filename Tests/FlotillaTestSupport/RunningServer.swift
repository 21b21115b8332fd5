import FlotillaAPI
import FlotillaAPIExtension
import FlotillaServer
import FlotillaStore
import Foundation
import Hummingbird
import ServiceLifecycle

/// An API server started for a test on an ephemeral loopback port, with its own data directory.
public final class RunningServer: Sendable {
    public let port: Int
    public let data: DataDirectory
    public let store: any Store
    public let baseURL: String
    let task: Task<Void, any Error>
    let group: ServiceGroup
    /// The temporary directory this server made for itself, removed when it stops (nil: the caller's).
    let ownedDirectory: URL?

    /// Starts a server. With `dataDirectory` set, the SQLite store there is used (for restart tests);
    /// otherwise a fresh temporary directory with an in-memory store. `extensions` builds non-resource APIs over the store.
    /// `port`: 0 picks a free one; a restart test passes the first server's, so its clients find the second.
    public static func start(dataDirectory: URL? = nil, port: Int = 0, tls: Bool = true, bookmarkInterval: Duration = .milliseconds(200),
                             maxRequestsInflight: Int = 400, extensions: (any Store) -> [any APIExtension] = { _ in [] },
                             tokenAuthority: (any Store) -> (any TokenAuthority)? = { _ in nil },
                             computedResources: () -> (any ComputedResources)? = { nil }) async throws
        -> RunningServer
    {
        let directory = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-test-\(UUID().uuidString)")
        let data = try DataDirectory.prepare(directory)
        let store: any Store = dataDirectory == nil ? ResourceStore.memory() : try ResourceStore.sqlite(path: data.storePath)
        var server = APIServer(configuration: ServerConfiguration(host: "127.0.0.1", port: port, tls: tls,
            bookmarkInterval: bookmarkInterval, maxRequestsInflight: maxRequestsInflight),
            data: data, store: store)
        server.extensions = extensions(store)
        server.tokenAuthority = tokenAuthority(store)
        server.computedResources = computedResources()
        try await server.bootstrap()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = try server.makeApplication { port in continuation.yield(port) }
        var configuration = ServiceGroupConfiguration(services: [.init(service: app)], gracefulShutdownSignals: [],
                                                      logger: .init(label: "flotilla.test-server"))
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestServerError.didNotStart }
        return RunningServer(port: port, data: data, store: store, baseURL: "\(tls ? "https" : "http")://127.0.0.1:\(port)", task: task,
                             group: group, ownedDirectory: dataDirectory == nil ? directory : nil)
    }

    init(port: Int, data: DataDirectory, store: any Store, baseURL: String, task: Task<Void, any Error>, group: ServiceGroup,
         ownedDirectory: URL?) {
        self.group = group
        self.ownedDirectory = ownedDirectory
        self.port = port
        self.data = data
        self.store = store
        self.baseURL = baseURL
        self.task = task
    }

    /// Stops the server and waits until it has shut down.
    /// Stops gracefully: cancelling a server with an accepted connection not yet served traps in NIO (swift-nio
    /// #3481), which a test's clients reconnecting as it ends can hit.
    public func stop() async {
        let group = self.group
        Task { await group.triggerGracefulShutdown() }
        _ = await task.result
        if let ownedDirectory { try? FileManager.default.removeItem(at: ownedDirectory) }
    }
}

public enum TestServerError: Error {
    case didNotStart
}
