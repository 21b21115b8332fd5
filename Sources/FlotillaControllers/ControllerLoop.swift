import FlotillaAPI
import KubeClient
import Logging

/// The objects of several resources, kept current by informers, by resource plural.
public struct ObjectSnapshot: Sendable {
    var sets: [String: WatchedSet] = [:]

    public func objects(_ resource: ResourceDescriptor) -> [JSONValue] { sets[resource.plural]?.objects ?? [] }

    public func typed<T: APIObject>(_ type: T.Type) -> [T] { objects(T.descriptor).compactMap { try? T(json: $0) } }

    var synced: Bool { sets.values.allSatisfy(\.synced) }
}

/// A level-triggered controller: informers on the resources it reads feed one cache; any change schedules a pass
/// over the whole cache, and changes during a pass coalesce into the next. A pass may ask to run again after a
/// delay (to retry failures or wait for time to pass). Simple, idempotent, and hard to get wrong; a pass must
/// only write what differs from what it reads.
public actor ControllerLoop {
    public typealias Pass = @Sendable (ObjectSnapshot) async -> Duration?

    let name: String
    let client: any ObjectClient
    let resources: [ResourceDescriptor]
    let pass: Pass
    let logger: Logger
    private var snapshot = ObjectSnapshot()
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private var retry: Task<Void, Never>?
    public private(set) var passes = 0

    public init(name: String, client: any ObjectClient, resources: [ResourceDescriptor], logger: Logger, pass: @escaping Pass) {
        self.name = name
        self.client = client
        self.resources = resources
        self.pass = pass
        self.logger = logger
        for resource in resources { snapshot.sets[resource.plural] = WatchedSet() }
        (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for resource in resources {
                let informer = Informer(client: client, resource: resource, logger: logger)
                group.addTask { [weak self] in
                    await informer.run { [weak self] event in await self?.apply(event, to: resource.plural) }
                }
            }
            for await _ in signals {
                if Task.isCancelled { break }
                guard snapshot.synced else { continue }
                passes += 1
                let delay = await pass(snapshot)
                retry?.cancel()
                if let delay {
                    retry = Task { [signal] in
                        try? await Task.sleep(for: delay)
                        if !Task.isCancelled { signal.yield() }
                    }
                }
            }
            group.cancelAll()
        }
        retry?.cancel()
    }

    /// Requests a pass (e.g. when something outside the watched resources changed).
    public nonisolated func poke() { signal.yield() }

    func apply(_ event: InformerEvent, to plural: String) {
        snapshot.sets[plural]?.apply(event)
        signal.yield()
    }
}
