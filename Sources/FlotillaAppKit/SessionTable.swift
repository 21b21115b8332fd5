import Foundation
import Synchronization

/// The sessions one app instance holds, with the state-transfer rules built in: an app keeps its per-session state
/// here and gets export, import, resume and release for free. `State` is whatever the app needs (encoded as JSON
/// for transfer). A released session leaves a tombstone so that late traffic for it is told to go elsewhere instead
/// of quietly starting a second copy. Every call is synchronous under one lock, so a datagram handler on an event
/// loop can use it as well as an async HTTP route.
public final class SessionTable<State: Codable & Sendable>: Sendable {
    struct Entry {
        var state: State
        var phase: SessionPhase
        var version: Int
    }

    struct Storage {
        var entries: [String: Entry] = [:]
        var released: Set<String> = []
        var refusesImports = false
    }

    private let storage = Mutex(Storage())
    public let capacity: Int

    public init(capacity: Int = .max) { self.capacity = capacity }

    /// Refuse imports (to exercise the mobility service's rollback; an app would refuse when it is full).
    public func setRefusesImports(_ value: Bool) { storage.withLock { $0.refusesImports = value } }

    /// What a session's traffic may do here.
    public enum Access: Sendable {
        case active(State)
        case frozen
        case released
        case unknown
    }

    public func access(_ id: String) -> Access {
        storage.withLock { storage in
            if let entry = storage.entries[id] { return entry.phase == .active ? .active(entry.state) : .frozen }
            return storage.released.contains(id) ? .released : .unknown
        }
    }

    /// Opens a new session serving here. Fails when it exists, was released here, or the instance is full.
    public func open(_ id: String, state: State) throws(StateTransferError) {
        try storage.withLock { (storage: inout Storage) throws(StateTransferError) in
            guard storage.entries[id] == nil, !storage.released.contains(id) else {
                throw .conflict("session \(id) already exists or was released here")
            }
            guard Self.activeCount(storage) < capacity else { throw StateTransferError(status: 503, "instance is full (\(capacity) sessions)") }
            storage.entries[id] = Entry(state: state, phase: .active, version: 1)
        }
    }

    /// Changes an active session's state; nil when the session is not active here (frozen, released, unknown).
    public func update<T: Sendable>(_ id: String, _ body: (inout State) -> T) -> T? {
        storage.withLock { storage in
            guard var entry = storage.entries[id], entry.phase == .active else { return nil }
            let result = body(&entry.state)
            entry.version += 1
            storage.entries[id] = entry
            return result
        }
    }

    /// Runs `body` over every active session (a game's tick). Frozen and imported sessions wait.
    public func updateActive(_ body: (String, inout State) -> Void) {
        storage.withLock { storage in
            for id in Array(storage.entries.keys) {
                guard var entry = storage.entries[id], entry.phase == .active else { continue }
                body(id, &entry.state)
                entry.version += 1
                storage.entries[id] = entry
            }
        }
    }

    static func activeCount(_ storage: Storage) -> Int { storage.entries.values.count { $0.phase == .active } }

    public var activeCount: Int { storage.withLock { Self.activeCount($0) } }
    public var sessionIDs: [String] { storage.withLock { $0.entries.keys.sorted() } }

    // MARK: The protocol's steps

    public func export(_ id: String, freeze: Bool) throws(StateTransferError) -> (data: Data, version: Int) {
        let entry: Entry = try storage.withLock { (storage: inout Storage) throws(StateTransferError) in
            guard var entry = storage.entries[id] else { throw .notFound(id) }
            guard entry.phase != .imported else { throw .conflict("session \(id) is an import that was never resumed") }
            if freeze {
                entry.phase = .frozen
                storage.entries[id] = entry
            }
            return entry
        }
        do {
            return (try JSONEncoder().encode(entry.state), entry.version)
        } catch {
            throw StateTransferError(status: 500, "cannot encode state: \(error)")
        }
    }

    /// Takes a session's state from another instance. A pre-copy may be replaced by a later import; a session
    /// that is active here is never overwritten.
    public func importState(_ id: String, data: Data, version: Int) throws(StateTransferError) {
        let state: State
        do { state = try JSONDecoder().decode(State.self, from: data) } catch { throw .refused("state does not decode: \(error)") }
        try storage.withLock { (storage: inout Storage) throws(StateTransferError) in
            if storage.refusesImports { throw .refused("this instance does not accept sessions now") }
            if let entry = storage.entries[id], entry.phase != .imported { throw .conflict("session \(id) is \(entry.phase.rawValue) here") }
            guard storage.entries[id] != nil || Self.activeCount(storage) < capacity else {
                throw StateTransferError(status: 503, "instance is full (\(capacity) sessions)")
            }
            storage.released.remove(id)
            storage.entries[id] = Entry(state: state, phase: .imported, version: version)
        }
    }

    /// Starts serving: an import at the target, or a frozen session at the source after a failed move.
    public func resume(_ id: String) throws(StateTransferError) {
        try storage.withLock { (storage: inout Storage) throws(StateTransferError) in
            guard storage.entries[id] != nil else { throw .notFound(id) }
            storage.entries[id]?.phase = .active
        }
    }

    public func release(_ id: String) {
        storage.withLock { storage in
            if storage.entries.removeValue(forKey: id) != nil { storage.released.insert(id) }
        }
    }

    public func describe(_ id: String) -> (phase: SessionPhase, version: Int, bytes: Int)? {
        guard let entry = storage.withLock({ $0.entries[id] }) else { return nil }
        return (entry.phase, entry.version, (try? JSONEncoder().encode(entry.state).count) ?? 0)
    }
}
