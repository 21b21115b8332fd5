import FlotillaAPI

/// Where an object lives in a backend: a bucket per resource (`apps/deployments`) and a key inside it
/// (`<namespace>/<name>`, or `<name>` for cluster-scoped kinds). An etcd backend maps it to
/// `/registry/<bucket>/<key>`; ranges are always within one bucket.
public struct StorageKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var bucket: String
    public var key: String

    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    public static func < (lhs: StorageKey, rhs: StorageKey) -> Bool { (lhs.bucket, lhs.key) < (rhs.bucket, rhs.key) }
    public var description: String { "\(bucket)/\(key)" }
}

/// A stored value with etcd's revision bookkeeping.
public struct KeyValue: Sendable, Hashable {
    public var key: StorageKey
    public var value: JSONValue
    /// Revision of the write that created the key.
    public var createRevision: Int64
    /// Revision of the last write to the key (the object's resourceVersion).
    public var modRevision: Int64

    public init(key: StorageKey, value: JSONValue, createRevision: Int64, modRevision: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
    }
}

/// One committed change, as a watch delivers it.
public struct BackendEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case put
        case delete
    }

    public var kind: Kind
    /// The new value; for a delete, the last value with `modRevision` set to the deletion's revision.
    public var current: KeyValue
    /// The value before this change (nil for a create).
    public var previous: KeyValue?
    public var revision: Int64 { current.modRevision }

    public init(kind: Kind, current: KeyValue, previous: KeyValue?) {
        self.kind = kind
        self.current = current
        self.previous = previous
    }
}

public struct RangeResult: Sendable {
    public var items: [KeyValue]
    /// The revision the range was read at.
    public var revision: Int64
    /// Whether keys beyond the last returned one exist in the range.
    public var more: Bool
    /// How many keys of the range were not returned.
    public var remaining: Int

    public init(items: [KeyValue], revision: Int64, more: Bool, remaining: Int) {
        self.items = items
        self.revision = revision
        self.more = more
        self.remaining = remaining
    }
}

/// Why a backend operation failed. The compare-and-swap failures map to Kubernetes 404 / 409 / 410 above it.
public enum BackendError: Error, Sendable, Equatable {
    case keyExists
    case keyNotFound
    /// The key's modRevision is not the expected one.
    case revisionMismatch(actual: Int64)
    /// The requested revision is older than the retained history.
    case compacted(oldestAvailable: Int64)
    /// The persistent layer failed; nothing was applied.
    case storage(String)
    /// The backend did not answer in time or could not be reached (an etcd quorum lost, a member partitioned). A
    /// write that failed this way may or may not have been applied; nothing acknowledged is lost.
    case unavailable(String)
}

extension BackendError: CustomStringConvertible {
    /// What a person reads, e.g. when `flotilla serve` cannot open its store.
    public var description: String {
        switch self {
        case .keyExists: "the key already exists"
        case .keyNotFound: "the key does not exist"
        case .revisionMismatch(let actual): "the key is at revision \(actual), not the one expected"
        case .compacted(let oldest): "the revision is compacted; the oldest available is \(oldest)"
        case .storage(let message): message
        case .unavailable(let message): message
        }
    }
}

/// An etcd-shaped key-value store: one global revision that every write increments, compare-and-swap on a key's
/// modRevision, ordered ranges, and watches from a revision with bounded history. Kubernetes semantics live above
/// it, in `ResourceStore`, so any backend with these operations serves every caller unchanged.
public protocol StorageBackend: Sendable {
    /// The revision of the last committed write.
    func currentRevision() async -> Int64
    /// The oldest revision a watch may start after.
    func compactedRevision() async -> Int64

    func get(_ key: StorageKey) async throws(BackendError) -> KeyValue?
    /// Keys of `bucket` starting with `prefix`, strictly after `after`, in key order, at most `limit`.
    func range(bucket: String, prefix: String, after: String?, limit: Int?) async throws(BackendError) -> RangeResult

    /// Fails with `keyExists` if the key is present.
    func create(_ key: StorageKey, value: JSONValue) async throws(BackendError) -> KeyValue
    /// Fails with `keyNotFound`, or `revisionMismatch` when the key's modRevision is not `expectedRevision`.
    func update(_ key: StorageKey, value: JSONValue, expectedRevision: Int64) async throws(BackendError) -> KeyValue
    /// Returns the deleted value with its modRevision set to the deletion's revision.
    func delete(_ key: StorageKey, expectedRevision: Int64?) async throws(BackendError) -> KeyValue

    /// Changes in `bucket` (keys starting with `prefix`) with revision > `after`, in revision order, then live ones,
    /// in batches (the changes of one commit arrive together: a consumer is woken once per commit, not per change).
    /// Fails with `compacted` when `after` is older than the retained history.
    func watch(bucket: String, prefix: String, after: Int64) async throws(BackendError) -> AsyncStream<[BackendEvent]>

    /// Drops history up to `revision`: watches from before it fail with `compacted`.
    func compact(through revision: Int64) async

    /// The key's value as a local cache last saw it, possibly stale; nil when the backend keeps no such copy or has
    /// none for the key. `ResourceStore` starts a compare-and-swap from it (one round trip instead of two when it is
    /// current) and reads the key afresh when that attempt fails.
    func cached(_ key: StorageKey) async -> KeyValue?
}

extension StorageBackend {
    public func cached(_ key: StorageKey) async -> KeyValue? { nil }
}
