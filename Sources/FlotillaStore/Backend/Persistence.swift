import FlotillaAPI

/// One committed write, as the durable layer records it.
public enum PersistedChange: Sendable {
    case put(KeyValue)
    case delete(StorageKey, revision: Int64)
}

/// The durable half of an `IndexedBackend`: it loads the state at start and makes changes durable before the
/// backend acknowledges them. A failure leaves both the durable state and the index unchanged.
public protocol Persistence: Sendable {
    func load() throws(BackendError) -> (revision: Int64, items: [KeyValue])
    /// All of `changes` (in revision order) or none of them.
    func commit(_ changes: [PersistedChange]) throws(BackendError)
}
