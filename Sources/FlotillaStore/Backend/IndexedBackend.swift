import Dispatch
import FlotillaAPI
import Synchronization

/// A `StorageBackend` that serves every read from an in-memory index and makes writes durable through an optional
/// `Persistence` (SQLite by default) before acknowledging them. One lock orders validation, the revision counter,
/// the history and the fan-out to watchers, so a watcher sees every change once, in order.
///
/// Group commit: with persistence, a write is validated and numbered under the lock (against the committed state
/// plus the changes still waiting to commit) and queued; one drain commits everything queued in a single
/// transaction, then applies it to the index and the watchers and acknowledges each writer. Readers only ever see
/// committed changes. Concurrent writers share a commit instead of queueing for one each; a lone writer commits
/// on its own thread, as without group commit.
public final class IndexedBackend: StorageBackend {
    /// One watch. Its end is only flagged (no lock): the stream ends from inside Swift's task-cancellation machinery,
    /// which holds the consumer task's status lock, while `apply` yields to streams under the store lock and a yield
    /// takes that task's status lock. Taking the store lock there deadlocked a cancelled watch against a commit.
    /// Ended subscribers are dropped by `State.pruneEnded`.
    final class Subscriber: Sendable {
        let bucket: String
        let prefix: String
        let continuation: AsyncStream<[BackendEvent]>.Continuation
        let ended = Atomic<Bool>(false)

        init(bucket: String, prefix: String, continuation: AsyncStream<[BackendEvent]>.Continuation) {
            self.bucket = bucket
            self.prefix = prefix
            self.continuation = continuation
        }

        func watches(_ event: BackendEvent) -> Bool { event.current.key.bucket == bucket && event.current.key.key.hasPrefix(prefix) }
    }

    /// A change validated and numbered, waiting for its commit.
    struct Pending {
        var change: PersistedChange
        var event: BackendEvent
        var writer: UnsafeContinuation<BackendEvent, any Error>
    }

    struct State {
        /// The last committed revision: what reads and watches see.
        var revision: Int64
        var index = KeyIndex()
        var history: EventHistory
        var subscribers: [Int: Subscriber] = [:]
        var nextSubscriber = 0
        /// Changes waiting to commit, in revision order.
        var pending: [Pending] = []
        /// The newest waiting version of each key they touch (value nil: a delete), which later writes validate against.
        var waiting: [StorageKey: (value: KeyValue?, revision: Int64)] = [:]
        /// The revision the newest waiting change took (`revision` when none waits).
        var assigned: Int64
        /// Whether a drain is running.
        var draining = false

        /// A key as the next write must see it: its newest waiting version, else the committed one.
        func current(_ key: StorageKey) -> KeyValue? {
            if let newest = waiting[key] { return newest.value }
            return index.get(key)
        }

        /// Forgets watches whose streams ended; run by each new watch and `watcherCount`, so ended ones never pile up.
        mutating func pruneEnded() {
            subscribers = subscribers.filter { !$0.value.ended.load(ordering: .acquiring) }
        }

        /// Makes committed changes visible: index, history, watchers. Each watcher gets the changes it watches in one
        /// yield: a yield wakes the watcher's task (a futex wake under this lock), and one per change was ~13 % of
        /// the scheduler bench's CPU.
        /// - Parameter sizes: each event's serialized size, for the history's byte budget (empty: unknown).
        mutating func apply(_ events: [BackendEvent], sizes: [Int] = []) {
            guard let last = events.last else { return }
            for (position, event) in events.enumerated() {
                switch event.kind {
                case .put: index.put(event.current)
                case .delete: index.remove(event.current.key)
                }
                history.append(event, bytes: position < sizes.count ? sizes[position] : 0)
                if waiting[event.current.key]?.revision == event.revision { waiting[event.current.key] = nil }
            }
            revision = last.revision
            // An ended stream ignores the yield; its subscriber goes at the next `pruneEnded`.
            for subscriber in subscribers.values {
                let watched = events.filter(subscriber.watches)
                if !watched.isEmpty { subscriber.continuation.yield(watched) }
            }
        }
    }

    /// 32 MiB of JSON: ~30,000 events of a typical object, but not 50,000 versions of a large one.
    public static let defaultHistoryBytes = 32 << 20

    private let state: Mutex<State>
    private let persistence: (any Persistence)?
    /// Where commits continue after a leading writer's own: a thread of its own, so a commit waiting on the disk does
    /// not hold one of the few threads Swift's concurrency pool has (two on a two-core machine) for long.
    private let committer = DispatchQueue(label: "flotilla.store.group-commit")

    /// - Parameters:
    ///   - persistence: where writes become durable; `nil` keeps everything in memory (tests, benchmarks).
    ///   - historyLimit: how many past events a watch can replay before it is told its revision expired.
    ///   - historyBytes: how many bytes of serialized values those events may hold (with persistence, which
    ///     serializes every value; in memory only the count bounds them).
    public init(persistence: (any Persistence)?, historyLimit: Int = 50_000, historyBytes: Int = IndexedBackend.defaultHistoryBytes) throws(BackendError) {
        self.persistence = persistence
        var revision: Int64 = 0
        var index = KeyIndex()
        if let persistence {
            let loaded = try persistence.load()
            revision = loaded.revision
            for var item in loaded.items {
                item.value = Self.stamped(item.value, item.modRevision)
                index.put(item)
            }
        }
        state = Mutex(State(revision: revision, index: index,
            history: EventHistory(capacity: historyLimit, byteLimit: historyBytes, startRevision: revision), assigned: revision))
    }

    public func currentRevision() async -> Int64 { state.withLock { $0.revision } }
    public func compactedRevision() async -> Int64 { state.withLock { $0.history.compactedRevision } }

    public func get(_ key: StorageKey) async throws(BackendError) -> KeyValue? {
        state.withLock { $0.index.get(key) }
    }

    public func range(bucket: String, prefix: String, after: String?, limit: Int?) async throws(BackendError) -> RangeResult {
        state.withLock { state in
            let result = state.index.range(bucket: bucket, prefix: prefix, after: after, limit: limit)
            return RangeResult(items: result.items, revision: state.revision, more: result.more, remaining: result.remaining)
        }
    }

    /// An object (a value with a `metadata` object) as readers see it at `revision`: with `metadata.resourceVersion`
    /// set. The index keeps values stamped, so the objects a read, a list or a watch hands out are the stored trees,
    /// not a copy made for each reader (`ResourceStore.materialize` finds the stamp and copies nothing). At fleet
    /// scale those copies were one object's top level and metadata per Work per informer, ~1 KB each. What is
    /// persisted is the value as written; a load stamps it again.
    static func stamped(_ value: JSONValue, _ revision: Int64) -> JSONValue {
        guard value["metadata"]?.objectValue != nil else { return value }
        var stamped = value
        stamped.setMetadata("resourceVersion", .string(String(revision)))
        return stamped
    }

    public func create(_ key: StorageKey, value: JSONValue) async throws(BackendError) -> KeyValue {
        let serialized = persistence == nil ? [] : value.serialized()
        return try await write(key) { current, revision throws(BackendError) in
            if current != nil { throw .keyExists }
            let kv = KeyValue(key: key, value: Self.stamped(value, revision), createRevision: revision, modRevision: revision)
            return (.put(kv, serialized: serialized), BackendEvent(kind: .put, current: kv, previous: nil))
        }.current
    }

    public func update(_ key: StorageKey, value: JSONValue, expectedRevision: Int64) async throws(BackendError) -> KeyValue {
        let serialized = persistence == nil ? [] : value.serialized()
        return try await write(key) { current, revision throws(BackendError) in
            guard let existing = current else { throw .keyNotFound }
            guard existing.modRevision == expectedRevision else { throw .revisionMismatch(actual: existing.modRevision) }
            let kv = KeyValue(key: key, value: Self.stamped(value, revision), createRevision: existing.createRevision, modRevision: revision)
            return (.put(kv, serialized: serialized), BackendEvent(kind: .put, current: kv, previous: existing))
        }.current
    }

    public func delete(_ key: StorageKey, expectedRevision: Int64?) async throws(BackendError) -> KeyValue {
        try await write(key) { current, revision throws(BackendError) in
            guard let existing = current else { throw .keyNotFound }
            if let expectedRevision, existing.modRevision != expectedRevision {
                throw .revisionMismatch(actual: existing.modRevision)
            }
            var tombstone = existing
            tombstone.modRevision = revision
            return (.delete(key, revision: revision), BackendEvent(kind: .delete, current: tombstone, previous: existing))
        }.current
    }

    /// Validates one change against `key`'s current version with the next revision, then — in memory — applies it
    /// at once, or — with persistence — queues it for the next group commit and returns once it is durable.
    private func write(
        _ key: StorageKey, _ prepare: (KeyValue?, Int64) throws(BackendError) -> (PersistedChange, BackendEvent)
    ) async throws(BackendError) -> BackendEvent {
        guard persistence != nil else {
            return try state.withLock { (state) throws(BackendError) -> BackendEvent in
                let (_, event) = try prepare(state.index.get(key), state.revision + 1)
                state.apply([event])
                return event
            }
        }
        do {
            return try await withUnsafeThrowingContinuation { (writer: UnsafeContinuation<BackendEvent, any Error>) in
                let leads: Bool
                do {
                    leads = try state.withLock { (state) throws(BackendError) -> Bool in
                        let (change, event) = try prepare(state.current(key), state.assigned + 1)
                        state.assigned = event.revision
                        state.waiting[key] = (event.kind == .put ? event.current : nil, event.revision)
                        state.pending.append(Pending(change: change, event: event, writer: writer))
                        defer { state.draining = true }
                        return !state.draining
                    }
                } catch {
                    writer.resume(throwing: error)
                    return
                }
                // The writer that finds no commit running leads one itself, on its own thread: a lone writer pays no
                // thread hop. Whoever queued meanwhile is committed next, on the committer.
                if leads { drain(leading: true) }
            }
        } catch let error as BackendError {
            throw error
        } catch {
            throw .storage(String(describing: error))
        }
    }

    /// Commits what is queued, batch by batch: each batch in one transaction, then applied and acknowledged in
    /// revision order. `leading`: a writer's own thread, which commits one batch (its own write is in it) and hands
    /// what queued meanwhile to the committer. A failed commit fails its batch and everything queued behind it
    /// (validated against it), and the next writes validate against the committed state again.
    private func drain(leading: Bool) {
        guard let persistence else { return }
        while true {
            let batch = state.withLock { state in
                let batch = state.pending
                state.pending = []
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                try persistence.commit(batch.map(\.change))
                state.withLock { state in state.apply(batch.map(\.event), sizes: batch.map(\.change.size)) }
                for pending in batch { pending.writer.resume(returning: pending.event) }
            } catch {
                let behind = state.withLock { state in
                    let behind = state.pending
                    state.pending = []
                    state.waiting = [:]
                    state.assigned = state.revision
                    return behind
                }
                for pending in batch + behind { pending.writer.resume(throwing: error) }
            }
            if leading {
                let more = state.withLock { state in
                    if state.pending.isEmpty { state.draining = false }
                    return state.draining
                }
                if more { committer.async { self.drain(leading: false) } }
                return
            }
        }
    }

    public func watch(bucket: String, prefix: String, after: Int64) async throws(BackendError) -> AsyncStream<[BackendEvent]> {
        let (stream, continuation) = AsyncStream<[BackendEvent]>.makeStream(bufferingPolicy: .unbounded)
        let subscriber = Subscriber(bucket: bucket, prefix: prefix, continuation: continuation)
        try state.withLock { (state) throws(BackendError) in
            if after < state.history.compactedRevision {
                throw .compacted(oldestAvailable: state.history.compactedRevision)
            }
            // Replay and registration happen under one lock: no event is missed or delivered twice.
            let replay = state.history.events(after: after).filter(subscriber.watches)
            if !replay.isEmpty { continuation.yield(replay) }
            state.pruneEnded()
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = subscriber
        }
        continuation.onTermination = { _ in subscriber.ended.store(true, ordering: .releasing) }
        return stream
    }

    public func compact(through revision: Int64) async {
        state.withLock { $0.history.compact(through: min(revision, $0.revision)) }
    }

    /// Number of live watch subscriptions (for metrics and tests).
    public var watcherCount: Int {
        state.withLock { state in
            state.pruneEnded()
            return state.subscribers.count
        }
    }
}
