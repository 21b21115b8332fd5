import FlotillaAPI

/// One committed write, as the durable layer records it.
public enum PersistedChange: Sendable {
    /// The value with its JSON bytes, serialized by the writer before the commit (so writers do that in parallel,
    /// not one after another inside the commit).
    case put(KeyValue, serialized: [UInt8])
    case delete(StorageKey, revision: Int64)

    /// The bytes it writes (what the history's byte budget counts).
    public var size: Int {
        switch self {
        case .put(_, let serialized): serialized.count
        case .delete: 0
        }
    }
}

/// The durable half of an `IndexedBackend`: it loads the state at start and makes changes durable before the
/// backend acknowledges them. A failure leaves both the durable state and the index unchanged.
public protocol Persistence: Sendable {
    func load() throws(BackendError) -> (revision: Int64, items: [KeyValue])
    /// All of `changes` (in revision order) or none of them.
    func commit(_ changes: [PersistedChange]) throws(BackendError)
}
