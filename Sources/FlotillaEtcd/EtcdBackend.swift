import EtcdAPI
import FlotillaAPI
import FlotillaStore
import Foundation
import Logging
import Synchronization

/// `StorageBackend` on etcd's v3 API, so that any number of Flotilla replicas share one store.
///
/// - A key's modRevision is the object's resourceVersion; every write is one transaction that compares it
///   (create: the key's create_revision is 0; update and delete: its mod_revision is the one read).
/// - Reads are etcd's linearizable reads: a write acknowledged by any replica is seen by the next read through any
///   other. Ranges without a limit are read in pages at one revision, so a big list is one consistent snapshot.
/// - An update starts from the watch cache's copy of the key (`cached`), as kube-apiserver's GuaranteedUpdate does:
///   the transaction compares mod_revision, so a stale copy only costs a retry on a fresh read.
/// - Watches come from the process's `EtcdWatchCache` (one etcd watch for all of them); a watch from before the
///   cache's window is an etcd watch of its own, which answers `compacted` (410) when etcd no longer has the revision.
public final class EtcdBackend: StorageBackend {
    public let connection: EtcdConnection
    let keys: EtcdKeys
    let cache: EtcdWatchCache
    let logger: Logger
    /// The newest revision this process compacted through (or learned was compacted).
    private let compacted = Atomic<Int64>(0)
    /// Keys per page when a range has no limit.
    static let page = 500

    private init(connection: EtcdConnection, keys: EtcdKeys, cache: EtcdWatchCache, logger: Logger) {
        self.connection = connection
        self.keys = keys
        self.cache = cache
        self.logger = logger
    }

    /// Connects, reads etcd's current revision and starts the watch cache from it. A cluster still starting (or a
    /// slow one) is asked again until `connectTimeout`; then this fails, clearly, naming the members.
    public static func connect(_ endpoints: EtcdEndpoints, cacheCapacity: Int = 10_000, requestTimeout: Duration = .seconds(5),
                               connectTimeout: Duration = .seconds(30),
                               logger: Logger = Logger(label: "flotilla.etcd")) async throws(BackendError) -> EtcdBackend
    {
        let connection = try EtcdConnection(endpoints, requestTimeout: requestTimeout, logger: logger)
        let keys = EtcdKeys(prefix: endpoints.prefix)
        let deadline = ContinuousClock.now + connectTimeout
        do {
            var revision: Int64 = 0
            while true {
                do {
                    revision = try await connection.range(.currentRevision(keys: keys)).header.revision
                    break
                } catch {
                    guard ContinuousClock.now + .milliseconds(500) < deadline else { throw error }
                    logger.notice("etcd does not answer yet; trying again", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
            let cache = EtcdWatchCache(watch: EtcdWatch(connection: connection, keys: keys, logger: logger), capacity: cacheCapacity,
                                       startRevision: revision)
            try await cache.start()
            return EtcdBackend(connection: connection, keys: keys, cache: cache, logger: logger)
        } catch {
            await connection.close()
            let members = endpoints.members.map(\.description).joined(separator: ", ")
            throw .unavailable("cannot reach etcd at \(members): \(error)")
        }
    }

    /// Stops the watch cache (its watchers' streams end) and closes the connections.
    public func close() async {
        await cache.stop()
        await connection.close()
    }

    /// How many store watches the cache feeds, and how many etcd watches that costs (one, or none when stopped).
    public var cachedWatchCount: Int { cache.subscriberCount }

    // MARK: Revisions

    public func currentRevision() async -> Int64 {
        (try? await connection.range(.currentRevision(keys: keys)).header.revision) ?? cache.revision
    }

    public func compactedRevision() async -> Int64 { compacted.load(ordering: .acquiring) }

    public func compact(through revision: Int64) async {
        var request = Etcdserverpb_CompactionRequest()
        request.revision = revision
        do {
            _ = try await connection.compact(request)
        } catch .compacted {
            // Another replica compacted at or past it.
        } catch {
            logger.warning("etcd compaction failed", metadata: ["revision": "\(revision)", "error": "\(error)"])
            return
        }
        noteCompacted(revision)
    }

    func noteCompacted(_ revision: Int64) {
        var seen = compacted.load(ordering: .acquiring)
        while seen < revision {
            let (exchanged, original) = compacted.compareExchange(expected: seen, desired: revision, ordering: .acquiringAndReleasing)
            if exchanged { return }
            seen = original
        }
    }

    // MARK: Reads

    public func cached(_ key: StorageKey) async -> KeyValue? { cache.value(key) }

    public func get(_ key: StorageKey) async throws(BackendError) -> KeyValue? {
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(keys.key(key))
        let response = try await connection.range(request)
        return try response.kvs.first.map { (kv) throws(BackendError) in try Self.keyValue(kv, key: key) }
    }

    public func range(bucket: String, prefix: String, after: String?, limit: Int?) async throws(BackendError) -> RangeResult {
        let first = keys.start(bucket: bucket, prefix: prefix)
        let end = EtcdKeys.rangeEnd(first)
        var start = after.map { EtcdKeys.successor(keys.start(bucket: bucket, prefix: $0)) } ?? first
        var items: [KeyValue] = []
        var revision: Int64 = 0
        while true {
            var request = Etcdserverpb_RangeRequest()
            request.key = Data(start)
            request.rangeEnd = Data(end)
            request.limit = Int64(limit.map { $0 - items.count } ?? Self.page)
            // Later pages at the first page's revision: one snapshot.
            if revision > 0 { request.revision = revision }
            let response = try await connection.range(request)
            if revision == 0 { revision = response.header.revision }
            for kv in response.kvs {
                guard let key = keys.storageKey(Array(kv.key)) else { continue }
                items.append(try Self.keyValue(kv, key: key))
            }
            let remaining = Int(response.count) - response.kvs.count
            if limit != nil || !response.more || response.kvs.isEmpty {
                return RangeResult(items: items, revision: revision, more: response.more, remaining: max(0, remaining))
            }
            start = EtcdKeys.successor(Array(response.kvs.last!.key))
        }
    }

    static func keyValue(_ kv: Mvccpb_KeyValue, key: StorageKey) throws(BackendError) -> KeyValue {
        do {
            return KeyValue(key: key, value: try JSONValue.parse(kv.value), createRevision: kv.createRevision, modRevision: kv.modRevision)
        } catch {
            throw .storage("etcd: the value at \(key) is not JSON: \(error)")
        }
    }

    // MARK: Writes

    public func create(_ key: StorageKey, value: JSONValue) async throws(BackendError) -> KeyValue {
        let raw = keys.key(key)
        var txn = Etcdserverpb_TxnRequest()
        txn.compare = [.revision(of: raw, .create, equals: 0)]
        txn.success = [.put(raw, value)]
        let response = try await connection.txn(txn)
        guard response.succeeded else { throw .keyExists }
        return KeyValue(key: key, value: value, createRevision: response.header.revision, modRevision: response.header.revision)
    }

    public func update(_ key: StorageKey, value: JSONValue, expectedRevision: Int64) async throws(BackendError) -> KeyValue {
        let raw = keys.key(key)
        var txn = Etcdserverpb_TxnRequest()
        txn.compare = [.revision(of: raw, .mod, equals: expectedRevision)]
        txn.success = [.put(raw, value, previous: true)]
        txn.failure = [.get(raw)]
        let response = try await connection.txn(txn)
        guard response.succeeded else { throw Self.mismatch(response) }
        let created = response.responses.first?.responsePut.prevKv.createRevision ?? 0
        return KeyValue(key: key, value: value, createRevision: created, modRevision: response.header.revision)
    }

    public func delete(_ key: StorageKey, expectedRevision: Int64?) async throws(BackendError) -> KeyValue {
        let raw = keys.key(key)
        var txn = Etcdserverpb_TxnRequest()
        if let expectedRevision { txn.compare = [.revision(of: raw, .mod, equals: expectedRevision)] }
        txn.success = [.delete(raw)]
        txn.failure = [.get(raw)]
        let response = try await connection.txn(txn)
        guard response.succeeded else { throw Self.mismatch(response) }
        guard let previous = response.responses.first?.responseDeleteRange.prevKvs.first else { throw .keyNotFound }
        var deleted = try Self.keyValue(previous, key: key)
        deleted.modRevision = response.header.revision
        return deleted
    }

    /// Why a compare failed, from the key as the failure branch read it.
    static func mismatch(_ response: Etcdserverpb_TxnResponse) -> BackendError {
        guard let current = response.responses.first?.responseRange.kvs.first else { return .keyNotFound }
        return .revisionMismatch(actual: current.modRevision)
    }

    // MARK: Watch

    public func watch(bucket: String, prefix: String, after: Int64) async throws(BackendError) -> AsyncStream<[BackendEvent]> {
        if let cached = cache.subscribe(bucket: bucket, prefix: prefix, after: after) { return cached }
        return try await directWatch(bucket: bucket, prefix: prefix, after: after)
    }

    /// A watch older than the cache's window: its own etcd watch, which etcd refuses when the revision is compacted.
    func directWatch(bucket: String, prefix: String, after: Int64) async throws(BackendError) -> AsyncStream<[BackendEvent]> {
        // etcd accepts a watch from a compacted revision and cancels it a moment later; a read at the revision says
        // so up front (a revision in the future fails too, and is fine: the watch waits for it).
        var check = Etcdserverpb_RangeRequest()
        check.key = Data(keys.start(bucket: bucket, prefix: prefix))
        check.countOnly = true
        check.revision = after + 1
        do {
            _ = try await connection.range(check)
        } catch .compacted {
            let oldest = (try? await connection.range(.currentRevision(keys: keys)).header.revision) ?? after + 1
            noteCompacted(after + 1)
            throw .compacted(oldestAvailable: oldest)
        } catch {
            // A future revision, or an unreachable etcd (the watch below says which).
        }
        let (stream, continuation) = AsyncStream<[BackendEvent]>.makeStream(bufferingPolicy: .unbounded)
        let (created, signal) = AsyncStream<BackendError?>.makeStream()
        let start = keys.start(bucket: bucket, prefix: prefix)
        let watch = EtcdWatch(connection: connection, keys: keys, logger: logger)
        let task = Task {
            let announced = Atomic<Bool>(false)
            do throws(BackendError) {
                try await watch.run(start: start, end: EtcdKeys.rangeEnd(start), from: after + 1) { event in
                    switch event {
                    case .created:
                        if announced.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
                            signal.yield(nil)
                            signal.finish()
                        }
                    case .events(let events): continuation.yield(events)
                    }
                }
            } catch {
                if !announced.load(ordering: .acquiring) { signal.yield(error) }
            }
            signal.finish()
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        for await outcome in created {
            guard let outcome else { return stream }
            if case .compacted(let oldest) = outcome { noteCompacted(oldest) }
            throw outcome
        }
        throw .unavailable("the etcd watch ended before etcd accepted it")
    }
}

extension Etcdserverpb_RangeRequest {
    /// The cheapest linearizable read: its header carries etcd's current revision.
    static func currentRevision(keys: EtcdKeys) -> Self {
        var request = Self()
        request.key = Data(keys.compaction)
        request.countOnly = true
        return request
    }
}

extension Etcdserverpb_Compare {
    static func revision(of key: [UInt8], _ target: CompareTarget, equals revision: Int64) -> Self {
        var compare = Self()
        compare.key = Data(key)
        compare.target = target
        compare.result = .equal
        compare.targetUnion = target == .create ? .createRevision(revision) : .modRevision(revision)
        return compare
    }
}

extension Etcdserverpb_RequestOp {
    static func put(_ key: [UInt8], _ value: JSONValue, previous: Bool = false) -> Self {
        var put = Etcdserverpb_PutRequest()
        put.key = Data(key)
        put.value = Data(value.serialized())
        put.prevKv = previous
        var op = Self()
        op.request = .requestPut(put)
        return op
    }

    static func get(_ key: [UInt8]) -> Self {
        var range = Etcdserverpb_RangeRequest()
        range.key = Data(key)
        var op = Self()
        op.request = .requestRange(range)
        return op
    }

    static func delete(_ key: [UInt8]) -> Self {
        var delete = Etcdserverpb_DeleteRangeRequest()
        delete.key = Data(key)
        delete.prevKv = true
        var op = Self()
        op.request = .requestDeleteRange(delete)
        return op
    }
}
