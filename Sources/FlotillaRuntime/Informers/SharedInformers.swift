import FlotillaAPI
import KubeClient
import Logging

/// One informer per kind per process, shared by every controller and MEC service that reads the kind, as client-go's
/// SharedInformerFactory: the control plane serves as many watches as kinds are read, not as readers read them.
///
/// A reader's stream starts with `.synced(all)` as soon as the kind has listed (at once when it already has), then
/// carries every change in order; a relist after 410 Expired arrives as `.synced` again. Informers start with their
/// first reader and run until `stop()`; a reader that goes away (its task cancelled) only ends its own stream.
public actor SharedInformers {
    /// What one kind's informer lists and watches: a namespace and selectors (a Pull cluster's agent reads only its
    /// own execution namespace and Cluster).
    public struct Scope: Sendable {
        public var namespace: String?
        public var options: ListQuery

        public init(namespace: String? = nil, options: ListQuery = .everything) {
            self.namespace = namespace
            self.options = options
        }
    }

    let client: any ObjectClient
    let logger: Logger
    /// Kinds read within a scope; every other kind is read whole.
    let scopes: [GroupResource: Scope]

    private struct Kind {
        var objects: [String: JSONValue] = [:]
        var synced = false
        var readers: [Int: AsyncStream<InformerEvent>.Continuation] = [:]
        var task: Task<Void, Never>?
    }

    private var kinds: [String: Kind] = [:]
    private var nextReader = 0
    private var stopped = false
    /// Watches this factory has started, by kind (`deployments.apps`): one each, however many read them.
    public private(set) var started: [String] = []

    public init(client: any ObjectClient, scopes: [GroupResource: Scope] = [:], logger: Logger = Logger(label: "flotilla.informers")) {
        self.client = client
        self.scopes = scopes
        self.logger = logger
    }

    /// The kind's objects as events: `.synced` with all of them first, then each change.
    public func events(_ resource: ResourceDescriptor) -> AsyncStream<InformerEvent> {
        let (stream, continuation) = AsyncStream<InformerEvent>.makeStream(bufferingPolicy: .unbounded)
        guard !stopped else {
            continuation.finish()
            return stream
        }
        let key = Self.key(resource)
        nextReader += 1
        let id = nextReader
        var kind = kinds[key] ?? Kind()
        if kind.synced { continuation.yield(.synced(Array(kind.objects.values))) }
        kind.readers[id] = continuation
        if kind.task == nil {
            started.append(key)
            let scope = scopes[resource.groupResource] ?? Scope()
            let informer = Informer(client: client, resource: resource, namespace: scope.namespace, options: scope.options, logger: logger)
            kind.task = Task { [weak self] in
                await informer.run { [weak self] event in await self?.apply(event, to: key) }
            }
        }
        kinds[key] = kind
        continuation.onTermination = { [weak self] _ in Task { await self?.remove(reader: id, of: key) } }
        return stream
    }

    /// Hands `resource`'s events to `handler`, one at a time, until the task is cancelled or the informers stop (the
    /// shared counterpart of `Informer.run`).
    public nonisolated func run(_ resource: ResourceDescriptor, _ handler: @escaping @Sendable (InformerEvent) async -> Void) async {
        for await event in await events(resource) {
            if Task.isCancelled { return }
            await handler(event)
        }
    }

    /// Stops every informer and ends every reader's stream.
    public func stop() async {
        stopped = true
        let tasks = kinds.values.compactMap(\.task)
        for kind in kinds.values { kind.readers.values.forEach { $0.finish() } }
        kinds = [:]
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// Applies the event to the kind's objects in place: taking the kind out of `kinds` and putting it back would
    /// share its objects for the moment of the change, and Swift would copy every object of the kind to change one
    /// (measured: 41 % of the scheduling loop's CPU at 8,000 bindings, growing with their number).
    func apply(_ event: InformerEvent, to key: String) {
        guard kinds[key] != nil else { return }
        switch event {
        case .synced(let items):
            kinds[key]!.objects = Dictionary(items.map { (Self.objectKey($0), $0) }, uniquingKeysWith: { _, last in last })
            kinds[key]!.synced = true
        case .added(let object), .modified(let object): kinds[key]!.objects[Self.objectKey(object)] = object
        case .deleted(let object): kinds[key]!.objects[Self.objectKey(object)] = nil
        }
        for reader in kinds[key]!.readers.values { reader.yield(event) }
    }

    func remove(reader: Int, of key: String) {
        kinds[key]?.readers[reader] = nil
    }

    /// The current object, when the kind is read and has listed (nil otherwise: ask the API).
    public func object(_ resource: ResourceDescriptor, namespace: String?, name: String) -> JSONValue? {
        guard let kind = kinds[Self.key(resource)], kind.synced else { return nil }
        return kind.objects["\(namespace ?? "")/\(name)"]
    }

    /// Whether the kind is read and has listed.
    public func isSynced(_ resource: ResourceDescriptor) -> Bool { kinds[Self.key(resource)]?.synced ?? false }

    static func key(_ resource: ResourceDescriptor) -> String {
        resource.group.isEmpty ? resource.plural : "\(resource.plural).\(resource.group)"
    }

    static func objectKey(_ object: JSONValue) -> String { "\(object.namespace ?? "")/\(object.name ?? "")" }
}
