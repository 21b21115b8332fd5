import Foundation

/// The sessions one app instance holds, with the state-transfer rules built in: an app keeps its per-session state
/// here and gets export, import, resume and release for free. `State` is whatever the app needs (encoded as JSON
/// for transfer). A released session leaves a tombstone so that late traffic for it is told to go elsewhere instead
/// of quietly starting a second copy.
public actor SessionTable<State: Codable & Sendable> {
    struct Entry {
        var state: State
        var phase: SessionPhase
        var version: Int
    }

    private var entries: [String: Entry] = [:]
    private var released: Set<String> = []
    /// Refuse imports (to exercise the mobility service's rollback; an app would refuse when it is full).
    public var refusesImports = false
    public let capacity: Int

    public init(capacity: Int = .max) { self.capacity = capacity }

    public func setRefusesImports(_ value: Bool) { refusesImports = value }

    /// What a session's traffic may do here.
    public enum Access: Sendable {
        case active(State)
        case frozen
        case released
        case unknown
    }

    public func access(_ id: String) -> Access {
        if let entry = entries[id] { return entry.phase == .active ? .active(entry.state) : .frozen }
        return released.contains(id) ? .released : .unknown
    }

    /// Opens a new session serving here. Fails when it exists, was released here, or the instance is full.
    public func open(_ id: String, state: State) throws(StateTransferError) {
        guard entries[id] == nil, !released.contains(id) else { throw .conflict("session \(id) already exists or was released here") }
        guard activeCount < capacity else { throw StateTransferError(status: 503, "instance is full (\(capacity) sessions)") }
        entries[id] = Entry(state: state, phase: .active, version: 1)
    }

    /// Changes an active session's state; false when the session is not active here (frozen, released, unknown).
    public func update<T: Sendable>(_ id: String, _ body: (inout State) throws -> T) rethrows -> T? {
        guard var entry = entries[id], entry.phase == .active else { return nil }
        let result = try body(&entry.state)
        entry.version += 1
        entries[id] = entry
        return result
    }

    /// Runs `body` over every active session (a game's tick). Frozen and imported sessions wait.
    public func updateActive(_ body: (String, inout State) -> Void) {
        for id in Array(entries.keys) {
            guard var entry = entries[id], entry.phase == .active else { continue }
            body(id, &entry.state)
            entry.version += 1
            entries[id] = entry
        }
    }

    public var activeCount: Int { entries.values.count { $0.phase == .active } }
    public var sessionIDs: [String] { entries.keys.sorted() }

    // MARK: The protocol's steps

    public func export(_ id: String, freeze: Bool) throws(StateTransferError) -> (data: Data, version: Int) {
        guard var entry = entries[id] else { throw .notFound(id) }
        guard entry.phase != .imported else { throw .conflict("session \(id) is an import that was never resumed") }
        let data: Data
        do { data = try JSONEncoder().encode(entry.state) } catch { throw StateTransferError(status: 500, "cannot encode state: \(error)") }
        if freeze {
            entry.phase = .frozen
            entries[id] = entry
        }
        return (data, entry.version)
    }

    /// Takes a session's state from another instance. A pre-copy may be replaced by a later import; a session
    /// that is active here is never overwritten.
    public func importState(_ id: String, data: Data, version: Int) throws(StateTransferError) {
        if refusesImports { throw .refused("this instance does not accept sessions now") }
        if let entry = entries[id], entry.phase != .imported { throw .conflict("session \(id) is \(entry.phase.rawValue) here") }
        guard entries[id] != nil || activeCount < capacity else { throw StateTransferError(status: 503, "instance is full (\(capacity) sessions)") }
        let state: State
        do { state = try JSONDecoder().decode(State.self, from: data) } catch { throw .refused("state does not decode: \(error)") }
        released.remove(id)
        entries[id] = Entry(state: state, phase: .imported, version: version)
    }

    /// Starts serving: an import at the target, or a frozen session at the source after a failed move.
    public func resume(_ id: String) throws(StateTransferError) {
        guard var entry = entries[id] else { throw .notFound(id) }
        entry.phase = .active
        entries[id] = entry
    }

    public func release(_ id: String) {
        if entries.removeValue(forKey: id) != nil { released.insert(id) }
    }

    public func describe(_ id: String) -> (phase: SessionPhase, version: Int, bytes: Int)? {
        guard let entry = entries[id] else { return nil }
        return (entry.phase, entry.version, (try? JSONEncoder().encode(entry.state).count) ?? 0)
    }
}
