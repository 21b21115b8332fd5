import FlotillaAPI
import KubeClient
import Logging
import ServiceLifecycle
import Synchronization

/// The objects of several resources, kept current by informers, by resource plural.
public struct ObjectSnapshot: Sendable {
    var sets: [String: WatchedSet] = [:]
    /// Shared by the snapshots of one loop, so each pass decodes only the objects that changed since the last.
    let decoded = TypedObjects()

    public func objects(_ resource: ResourceDescriptor) -> [JSONValue] { sets[resource.plural]?.objects ?? [] }

    public func typed<T: APIObject>(_ type: T.Type) -> [T] {
        let set = sets[T.descriptor.plural]
        return decoded.decode(version(T.descriptor)) { set?.objects ?? [] }
    }

    /// A cluster-scoped kind's objects typed and by name, made once per state of the set: a controller that looks
    /// clusters up by name on every pass (1,000 of them, while bindings change) does not copy them into a new
    /// dictionary each time.
    public func typedByName<T: APIObject>(_ type: T.Type) -> [String: T] {
        let set = sets[T.descriptor.plural]
        return decoded.decodeByName(version(T.descriptor)) { set?.objects ?? [] }
    }

    /// One object by `namespace/name`, typed through the same cache: for a pass that looks only at the objects that
    /// changed (listing a kind to find them costs in proportion to all its objects, on every pass).
    public func typed<T: APIObject>(_ type: T.Type, key: String) -> T? {
        guard let object = object(T.descriptor, key: key) else { return nil }
        return decoded.decode(one: object)
    }

    /// Equal for two snapshots of one loop holding the same objects of `resource`.
    public func version(_ resource: ResourceDescriptor) -> SetVersion {
        SetVersion(loop: decoded.id, revision: sets[resource.plural]?.revision ?? -1)
    }

    /// One object by `namespace/name` (`/name` for cluster-scoped kinds).
    public func object(_ resource: ResourceDescriptor, key: String) -> JSONValue? { sets[resource.plural]?.object(key: key) }

    /// Resources watched because the snapshot declares them: passes do not wait for them to list, so a pass must
    /// not read their absence as deletion before `isSynced` says they have listed.
    var declared: Set<String> = []

    var synced: Bool { sets.allSatisfy { $0.value.synced || declared.contains($0.key) } }

    /// Whether the resource is watched and has listed.
    public func isSynced(_ resource: ResourceDescriptor) -> Bool { sets[resource.plural]?.synced ?? false }
}

/// Which state of one loop's set of objects a snapshot holds.
public struct SetVersion: Hashable, Sendable {
    let loop: Int
    let revision: Int
}

/// One `DecodedObjects` per kind, and the last result with the set's version it was decoded from: a pass over a
/// set that did not change (a thousand clusters, while bindings change) neither lists nor looks up its objects.
/// A loop runs one pass at a time, so the lock is never contended; it makes the cache safe to share with the
/// snapshot a pass holds.
final class TypedObjects: Sendable {
    private struct Kind<T: APIObject>: Sendable {
        var cache = DecodedObjects<T>()
        var last: (version: SetVersion, objects: [T])?
        var byName: (version: SetVersion, objects: [String: T])?

        mutating func decode(_ version: SetVersion, _ objects: () -> [JSONValue]) -> [T] {
            if let last, last.version == version { return last.objects }
            let decoded = cache.decode(objects())
            last = (version, decoded)
            return decoded
        }
    }
    private let kinds = Mutex<[ObjectIdentifier: any Sendable]>([:])
    /// Unique for the process's life (an `ObjectIdentifier` may be reused once its object is freed).
    let id = TypedObjects.made.add(1, ordering: .relaxed).newValue
    private static let made = Atomic<Int>(0)

    func decode<T: APIObject>(_ version: SetVersion, _ objects: () -> [JSONValue]) -> [T] {
        withKind { (kind: inout Kind<T>) in kind.decode(version, objects) }
    }

    func decodeByName<T: APIObject>(_ version: SetVersion, _ objects: () -> [JSONValue]) -> [String: T] {
        withKind { (kind: inout Kind<T>) in
            if let byName = kind.byName, byName.version == version { return byName.objects }
            let made = Dictionary(kind.decode(version, objects).map { ($0.metadata.name ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            kind.byName = (version, made)
            return made
        }
    }

    /// One object, decoded unless its copy for this resourceVersion is at hand. The next full decode of its kind
    /// forgets it if it has gone.
    func decode<T: APIObject>(one object: JSONValue) -> T? {
        withKind { (kind: inout Kind<T>) in kind.cache.decode(one: object) }
    }

    /// `T`'s entry, taken out of the table while `body` changes it (so it is not copied) and put back after.
    private func withKind<T: APIObject, R>(_ body: (inout Kind<T>) -> R) -> R {
        kinds.withLock { kinds in
            var kind = kinds.removeValue(forKey: ObjectIdentifier(T.self)) as? Kind<T> ?? Kind()
            defer { kinds[ObjectIdentifier(T.self)] = kind }
            return body(&kind)
        }
    }
}

/// What changed since the previous pass: the `namespace/name` keys per resource, or `full` when the pass must
/// look at everything (first sync, relist, retry, poke).
public struct Changes: Sendable {
    public var full: Bool
    var keys: [String: Set<String>] = [:]
    /// Objects whose status alone changed (for resources the controller is not status-blind to).
    var statusKeys: [String: Set<String>] = [:]

    public init(full: Bool) { self.full = full }

    /// `keys` of `resource` changed — `statusOnly`: their status alone (what a test hands a pass directly).
    public init(_ resource: ResourceDescriptor, keys: Set<String>, statusOnly: Bool = false) {
        self.full = false
        if statusOnly { statusKeys[resource.plural] = keys } else { self.keys[resource.plural] = keys }
    }

    /// Objects added, deleted, or changed beyond their status.
    public func keys(_ resource: ResourceDescriptor) -> Set<String> { keys[resource.plural] ?? [] }
    public func statusOnlyKeys(_ resource: ResourceDescriptor) -> Set<String> { (statusKeys[resource.plural] ?? []).subtracting(keys(resource)) }
    public func touched(_ resource: ResourceDescriptor) -> Bool { !(keys[resource.plural] ?? []).isEmpty }
    var isEmpty: Bool { !full && keys.values.allSatisfy(\.isEmpty) && statusKeys.values.allSatisfy(\.isEmpty) }
}

/// A level-triggered controller: the process's shared informers on the resources it reads feed one cache; any change schedules a pass,
/// and changes during a pass coalesce into the next. The pass gets the cache and the keys that changed, so it can
/// work on just those (or on everything when `full`). A pass may ask to run again after a delay (to retry
/// failures); that run is full. A pass must only write what differs from what it reads.
public actor ControllerLoop {
    public typealias Pass = @Sendable (ObjectSnapshot, Changes) async -> Duration?
    /// Resources the watched objects declare (the kinds of CustomResourceDefinitions): watched besides `resources`
    /// while declared, dropped when no longer.
    public typealias Declared = @Sendable (ObjectSnapshot) -> [ResourceDescriptor]
    /// How often a full pass runs regardless of events. Watches resume and relist on their own, so this only repairs
    /// what no event explains (a Work deleted by hand); five minutes keeps an idle control plane with 100 clusters
    /// quiet (controller-runtime's default is ten hours).
    static let resyncInterval: Duration = .seconds(300)
    /// A pass that takes longer is logged (at info).
    static let slowPass: Duration = .seconds(1)

    let name: String
    let informers: SharedInformers
    /// Whether `informers` is this loop's own (made from a client), to stop when the loop ends.
    let ownsInformers: Bool
    let resources: [ResourceDescriptor]
    /// What retries and the periodic full pass wait on (a manual clock in tests).
    let clock: any RuntimeClock
    /// Resources whose status-only changes do not concern this controller (often its own status writes).
    let statusBlind: Set<String>
    let pass: Pass
    let declared: Declared?
    /// Whether status-only changes of declared resources concern this controller.
    let declaredStatusBlind: Bool
    let logger: Logger
    private var snapshot = ObjectSnapshot()
    /// The declared resources watched now, by plural, with the task feeding each.
    private var followed: [String: (resource: ResourceDescriptor, task: Task<Void, Never>)] = [:]
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private var retry: Task<Void, Never>?
    /// When `retry` fires; a pass asking for a later retry leaves an earlier one in place.
    private var retryAt: Duration?
    private var pending = Changes(full: true)
    /// Events that arrived while a pass held the snapshot: applied after it, so the pass's copy is never
    /// duplicated by a write (copy-on-write of thousands of objects per event).
    private var queued: [(InformerEvent, String)] = []
    private var passing = false
    public private(set) var passes = 0

    /// `informers`: the process's shared informers; without them the loop watches through `client` on its own.
    public init(name: String, client: any ObjectClient, informers: SharedInformers? = nil, resources: [ResourceDescriptor],
                statusBlind: [ResourceDescriptor] = [], declared: Declared? = nil, declaredStatusBlind: Bool = false,
                clock: any RuntimeClock = SystemRuntimeClock(), logger: Logger, pass: @escaping Pass) {
        self.name = name
        self.declared = declared
        self.declaredStatusBlind = declaredStatusBlind
        self.clock = clock
        self.informers = informers ?? SharedInformers(client: client, logger: logger)
        self.ownsInformers = informers == nil
        var seen = Set<String>()
        self.resources = resources.filter { seen.insert($0.plural).inserted }
        self.statusBlind = Set(statusBlind.map(\.plural))
        self.pass = pass
        self.logger = logger
        for resource in resources { snapshot.sets[resource.plural] = WatchedSet() }
        (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Runs until cancelled, or until graceful shutdown (swift-service-lifecycle): then the pass under way finishes
    /// and no other starts.
    public func run() async {
        await withGracefulShutdownHandler {
            await runPasses()
        } onGracefulShutdown: { [signal] in
            signal.finish()
        }
    }

    private func runPasses() async {
        await withTaskGroup(of: Void.self) { group in
            for resource in resources {
                group.addTask { [weak self, informers] in
                    for await event in await informers.events(resource) {
                        guard let self else { return }
                        await self.apply(event, to: resource.plural)
                    }
                }
            }
            // A periodic full pass catches anything an incremental pass could not attribute (a Work deleted by hand).
            group.addTask { [weak self, clock] in
                while !Task.isCancelled {
                    try? await clock.sleep(for: Self.resyncInterval)
                    if !Task.isCancelled { await self?.requestFull() }
                }
            }
            for await _ in signals {
                if Task.isCancelled { break }
                if snapshot.synced { followDeclared() }
                guard snapshot.synced, !pending.isEmpty else { continue }
                let changes = pending
                pending = Changes(full: false)
                passes += 1
                passing = true
                let started = clock.elapsed
                let delay = await pass(snapshot, changes)
                passing = false
                let took = clock.elapsed - started
                if took >= Self.slowPass {
                    logger.info("slow pass", metadata: ["loop": "\(name)", "full": "\(changes.full)", "seconds": "\(took)",
                                                        "keys": "\(changes.keys.values.reduce(0) { $0 + $1.count })"])
                }
                let arrived = queued
                queued = []
                for (event, plural) in arrived { apply(event, to: plural) }
                // A later pass that succeeds must not cancel an earlier pass's retry: it may not have looked at
                // what failed. Nor may a pass asking for a later retry (a binding backing off) push back an earlier one.
                if let delay {
                    let at = clock.elapsed + delay
                    if let scheduled = retryAt, scheduled <= at, scheduled > clock.elapsed { continue }
                    retry?.cancel()
                    retryAt = at
                    retry = Task { [weak self, clock] in
                        try? await clock.sleep(for: delay)
                        if !Task.isCancelled { await self?.retryDue() }
                    }
                }
            }
            group.cancelAll()
        }
        for entry in followed.values { entry.task.cancel() }
        followed = [:]
        retry?.cancel()
        if ownsInformers { await informers.stop() }
    }

    /// When to try again after `error`: at once (50 ms) after losing a compare-and-swap race — the event that
    /// would have woken the loop may be one it ignores — and after a second for anything else.
    public static func retryDelay(for error: APIError, current: Duration?) -> Duration {
        let delay: Duration = error.reason == .conflict ? .milliseconds(50) : .seconds(1)
        return min(current ?? delay, delay)
    }

    /// Starts watching the resources the snapshot now declares and stops watching those it no longer does. A new
    /// resource holds passes back until it has listed (the snapshot is not synced before), then brings a full pass.
    private func followDeclared() {
        guard let declared else { return }
        var wanted: [String: ResourceDescriptor] = [:]
        for resource in declared(snapshot) where !resources.contains(where: { $0.plural == resource.plural }) {
            wanted[resource.plural] = wanted[resource.plural] ?? resource
        }
        for (plural, entry) in followed where wanted[plural]?.groupResource != entry.resource.groupResource {
            entry.task.cancel()
            followed[plural] = nil
            snapshot.sets[plural] = nil
            snapshot.declared.remove(plural)
            pending.full = true
            signal.yield()
        }
        for (plural, resource) in wanted where followed[plural] == nil {
            snapshot.sets[plural] = WatchedSet()
            snapshot.declared.insert(plural)
            followed[plural] = (resource, Task { [weak self, informers] in
                for await event in await informers.events(resource) {
                    guard let self, !Task.isCancelled else { return }
                    await self.apply(event, to: plural)
                }
            })
        }
    }

    /// Requests a full pass (e.g. when something outside the watched resources changed).
    public nonisolated func poke() { Task { await requestFull() } }

    func requestFull() {
        pending.full = true
        signal.yield()
    }

    private func retryDue() {
        retryAt = nil
        requestFull()
    }

    func apply(_ event: InformerEvent, to plural: String) {
        if passing {
            queued.append((event, plural))
            return
        }
        let previous: JSONValue? = if case .modified(let object) = event { snapshot.sets[plural]?.object(for: object) } else { nil }
        guard snapshot.sets[plural] != nil else { return }
        snapshot.sets[plural]?.apply(event)
        switch event {
        case .synced: pending.full = true
        case .modified(let object):
            if let previous, Self.sameApartFromStatus(previous, object) {
                if statusBlind.contains(plural) || (declaredStatusBlind && followed[plural] != nil) { return }
                pending.statusKeys[plural, default: []].insert(WatchedSet.key(object))
            } else {
                pending.keys[plural, default: []].insert(WatchedSet.key(object))
            }
        case .added(let object), .deleted(let object): pending.keys[plural, default: []].insert(WatchedSet.key(object))
        }
        signal.yield()
    }

    /// Equal except for status and the bookkeeping every write changes.
    static func sameApartFromStatus(_ a: JSONValue, _ b: JSONValue) -> Bool {
        func strip(_ value: JSONValue) -> JSONValue {
            var value = value
            value["status"] = nil
            value.setMetadata("resourceVersion", nil)
            value.setMetadata("managedFields", nil)
            return value
        }
        return strip(a) == strip(b)
    }
}

/// A loop is a swift-service-lifecycle `Service`: run it in a `ServiceGroup` and it stops gracefully.
extension ControllerLoop: ServiceLifecycle.Service {}
