import FlotillaStore
import Logging
import Synchronization

/// The per-process watch cache, as kube-apiserver's cacher: one etcd watch over every key Flotilla stores, a bounded
/// history of recent changes, and a fan-out to the store's watchers. N client watches cost one etcd watch, and a
/// watch from a recent revision is replayed from memory.
///
/// A watch from before the cache's window is not the cache's to serve (`subscribe` answers nil) and goes to etcd
/// directly. When the etcd watch breaks (a member died) it resumes from the last revision seen, on another member;
/// if that revision was compacted meanwhile, every subscriber's stream ends and clients re-list, as with
/// kube-apiserver.
final class EtcdWatchCache: Sendable {
    /// One watch. Its end is only flagged, never taken under the lock (see `IndexedBackend.Subscriber`).
    final class Subscriber: Sendable {
        let bucket: String
        let prefix: String
        /// Only changes after this revision.
        let after: Int64
        let continuation: AsyncStream<[BackendEvent]>.Continuation
        let ended = Atomic<Bool>(false)

        init(bucket: String, prefix: String, after: Int64, continuation: AsyncStream<[BackendEvent]>.Continuation) {
            self.bucket = bucket
            self.prefix = prefix
            self.after = after
            self.continuation = continuation
        }

        func watches(_ event: BackendEvent) -> Bool {
            event.revision > after && event.current.key.bucket == bucket && event.current.key.key.hasPrefix(prefix)
        }
    }

    struct State {
        /// The newest revision whose changes the cache holds.
        var revision: Int64
        var history: EventHistory
        /// The newest value of every key changed since the cache started (what `ResourceStore` starts a
        /// compare-and-swap from); a key unchanged since then is read from etcd.
        var values: [StorageKey: KeyValue] = [:]
        var subscribers: [Int: Subscriber] = [:]
        var nextSubscriber = 0

        mutating func apply(_ events: [BackendEvent]) {
            guard let last = events.last else { return }
            for event in events {
                history.append(event)
                switch event.kind {
                case .put: values[event.current.key] = event.current
                case .delete: values[event.current.key] = nil
                }
            }
            revision = max(revision, last.revision)
            subscribers = subscribers.filter { !$0.value.ended.load(ordering: .acquiring) }
            for subscriber in subscribers.values {
                let matching = events.filter(subscriber.watches)
                if !matching.isEmpty { subscriber.continuation.yield(matching) }
            }
        }

        /// The history is gone (compacted while disconnected): every watcher re-lists.
        mutating func restart(at revision: Int64, capacity: Int) {
            for subscriber in subscribers.values { subscriber.continuation.finish() }
            subscribers = [:]
            values = [:]
            history = EventHistory(capacity: capacity, startRevision: revision)
            self.revision = revision
        }
    }

    let watch: EtcdWatch
    let capacity: Int
    let state: Mutex<State>
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(watch: EtcdWatch, capacity: Int, startRevision: Int64) {
        self.watch = watch
        self.capacity = capacity
        state = Mutex(State(revision: startRevision, history: EventHistory(capacity: capacity, startRevision: startRevision)))
    }

    /// Starts following etcd from the revision the cache was made at; returns once etcd accepted the watch.
    func start() async throws(BackendError) {
        let (created, signal) = AsyncStream<BackendError?>.makeStream()
        let running = Task { [self] in await follow(created: signal) }
        task.withLock { $0 = running }
        for await outcome in created {
            if let outcome { running.cancel(); throw outcome }
            return
        }
        throw .unavailable("the watch cache stopped before etcd accepted its watch")
    }

    func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        await running?.value
        state.withLock { state in
            for subscriber in state.subscribers.values { subscriber.continuation.finish() }
            state.subscribers = [:]
        }
    }

    /// The changes in `bucket`/`prefix` after `after`, replayed from the history then live; nil when `after` is
    /// older than the history (the caller watches etcd directly).
    func subscribe(bucket: String, prefix: String, after: Int64) -> AsyncStream<[BackendEvent]>? {
        let (stream, continuation) = AsyncStream<[BackendEvent]>.makeStream(bufferingPolicy: .unbounded)
        let subscriber = Subscriber(bucket: bucket, prefix: prefix, after: after, continuation: continuation)
        let registered = state.withLock { state -> Bool in
            guard after >= state.history.compactedRevision else { return false }
            let replay = state.history.events(after: after).filter(subscriber.watches)
            if !replay.isEmpty { continuation.yield(replay) }
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = subscriber
            return true
        }
        guard registered else { return nil }
        continuation.onTermination = { _ in subscriber.ended.store(true, ordering: .releasing) }
        return stream
    }

    var revision: Int64 { state.withLock { $0.revision } }

    func value(_ key: StorageKey) -> KeyValue? { state.withLock { $0.values[key] } }

    /// How many watches the cache feeds now.
    var subscriberCount: Int {
        state.withLock { state in state.subscribers.values.filter { !$0.ended.load(ordering: .acquiring) }.count }
    }

    /// Follows etcd until cancelled: resumes after the last revision seen when the watch breaks, restarts the
    /// history when that revision was compacted meanwhile.
    private func follow(created: AsyncStream<BackendError?>.Continuation) async {
        let all = watch.keys.all
        let announced = Atomic<Bool>(false)
        while !Task.isCancelled {
            let from = revision + 1
            do {
                try await watch.run(start: all, end: EtcdKeys.rangeEnd(all), from: from) { [self] signal in
                    switch signal {
                    case .created:
                        if announced.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
                            created.yield(nil)
                            created.finish()
                        }
                    case .events(let events):
                        state.withLock { $0.apply(events) }
                    }
                }
            } catch .compacted(let oldest) {
                watch.logger.warning("the watch cache fell behind a compaction; watchers re-list", metadata: ["compacted": "\(oldest)"])
                let current = (try? await watch.connection.range(.currentRevision(keys: watch.keys)).header.revision) ?? oldest
                state.withLock { $0.restart(at: current, capacity: capacity) }
            } catch {
                if Task.isCancelled { break }
                if !announced.load(ordering: .acquiring) { created.yield(error); created.finish(); return }
                watch.logger.notice("etcd watch broke; resuming", metadata: ["from": "\(from)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        if !announced.load(ordering: .acquiring) { created.finish() }
    }
}
