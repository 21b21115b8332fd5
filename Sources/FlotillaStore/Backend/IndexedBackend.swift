import FlotillaAPI
import Synchronization

/// A `StorageBackend` that serves every read from an in-memory index and makes writes durable through an optional
/// `Persistence` (SQLite by default) before acknowledging them. Writes are serialized by one lock, which also orders
/// the revision counter, the history and the fan-out to watchers, so a watcher sees every change once, in order.
public final class IndexedBackend: StorageBackend {
    struct Subscriber {
        var bucket: String
        var prefix: String
        var continuation: AsyncStream<BackendEvent>.Continuation
    }

    struct State {
        var revision: Int64
        var index = KeyIndex()
        var history: EventHistory
        var subscribers: [Int: Subscriber] = [:]
        var nextSubscriber = 0
    }

    private let state: Mutex<State>
    private let persistence: (any Persistence)?

    /// - Parameters:
    ///   - persistence: where writes become durable; `nil` keeps everything in memory (tests, benchmarks).
    ///   - historyLimit: how many past events a watch can replay before it is told its revision expired.
    public init(persistence: (any Persistence)?, historyLimit: Int = 50_000) throws(BackendError) {
        self.persistence = persistence
        var revision: Int64 = 0
        var index = KeyIndex()
        if let persistence {
            let loaded = try persistence.load()
            revision = loaded.revision
            for item in loaded.items { index.put(item) }
        }
        state = Mutex(State(revision: revision, index: index,
            history: EventHistory(capacity: historyLimit, startRevision: revision)))
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

    public func create(_ key: StorageKey, value: JSONValue) async throws(BackendError) -> KeyValue {
        try write { state throws(BackendError) in
            if state.index.get(key) != nil { throw .keyExists }
            let revision = state.revision + 1
            let kv = KeyValue(key: key, value: value, createRevision: revision, modRevision: revision)
            return (.put(kv), BackendEvent(kind: .put, current: kv, previous: nil))
        }.current
    }

    public func update(_ key: StorageKey, value: JSONValue, expectedRevision: Int64) async throws(BackendError) -> KeyValue {
        try write { state throws(BackendError) in
            guard let existing = state.index.get(key) else { throw .keyNotFound }
            guard existing.modRevision == expectedRevision else { throw .revisionMismatch(actual: existing.modRevision) }
            let kv = KeyValue(key: key, value: value, createRevision: existing.createRevision, modRevision: state.revision + 1)
            return (.put(kv), BackendEvent(kind: .put, current: kv, previous: existing))
        }.current
    }

    public func delete(_ key: StorageKey, expectedRevision: Int64?) async throws(BackendError) -> KeyValue {
        try write { state throws(BackendError) in
            guard let existing = state.index.get(key) else { throw .keyNotFound }
            if let expectedRevision, existing.modRevision != expectedRevision {
                throw .revisionMismatch(actual: existing.modRevision)
            }
            var tombstone = existing
            tombstone.modRevision = state.revision + 1
            return (.delete(key, revision: tombstone.modRevision), BackendEvent(kind: .delete, current: tombstone, previous: existing))
        }.current
    }

    /// Validates under the lock, persists, then applies to the index, the history and the watchers.
    private func write(
        _ prepare: (inout State) throws(BackendError) -> (PersistedChange, BackendEvent)
    ) throws(BackendError) -> BackendEvent {
        try state.withLock { (state) throws(BackendError) -> BackendEvent in
            let (change, event) = try prepare(&state)
            try persistence?.commit(change)
            state.revision = event.revision
            switch event.kind {
            case .put: state.index.put(event.current)
            case .delete: state.index.remove(event.current.key)
            }
            state.history.append(event)
            for subscriber in state.subscribers.values
            where subscriber.bucket == event.current.key.bucket && event.current.key.key.hasPrefix(subscriber.prefix) {
                subscriber.continuation.yield(event)
            }
            return event
        }
    }

    public func watch(bucket: String, prefix: String, after: Int64) async throws(BackendError) -> AsyncStream<BackendEvent> {
        let (stream, continuation) = AsyncStream<BackendEvent>.makeStream(bufferingPolicy: .unbounded)
        let id = try state.withLock { (state) throws(BackendError) -> Int in
            if after < state.history.compactedRevision {
                throw .compacted(oldestAvailable: state.history.compactedRevision)
            }
            // Replay and registration happen under one lock: no event is missed or delivered twice.
            for event in state.history.events(after: after)
            where event.current.key.bucket == bucket && event.current.key.key.hasPrefix(prefix) {
                continuation.yield(event)
            }
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = Subscriber(bucket: bucket, prefix: prefix, continuation: continuation)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    public func compact(through revision: Int64) async {
        state.withLock { $0.history.compact(through: min(revision, $0.revision)) }
    }

    /// Number of live watch subscriptions (for metrics and tests).
    public var watcherCount: Int { state.withLock { $0.subscribers.count } }
}
