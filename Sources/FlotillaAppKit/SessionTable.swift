import Foundation
import Synchronization

/// The sessions one app instance holds, with the state-transfer rules built in: an app keeps its per-session state
/// here and gets export, import, resume and release for free. `State` is whatever the app needs (encoded as JSON
/// for transfer). A released session leaves a tombstone so that late traffic for it is told to go elsewhere instead
/// of quietly starting a second copy. Every call is synchronous under one lock, so a datagram handler on an event
/// loop can use it as well as an async HTTP route.
public final class SessionTable<State: TransferableState>: Sendable {
    /// A session's entry. A class, so that the hot paths (a datagram's `update`, the tick's `updateActive`, the
    /// keeper's scans) change and read it where it is: reading a field of a struct kept in a dictionary copied the
    /// whole entry, state included (~3 % of a 200-player demo profile's samples, with the retains it took). Entries never
    /// leave the lock: whatever goes out is a copy of a field.
    final class Entry {
        var state: State
        var phase: SessionPhase
        var version: Int
        /// The fencing epoch this copy belongs to (raised by each promotion).
        var epoch = 0
        /// Where this primary sends its checkpoints, and how often.
        var standby: StandbyAssignment?
        /// The version last sent to the standby, and when.
        var pushedVersion = -1
        var pushedAt: ContinuousClock.Instant?
        /// Promoted from a standby copy and not yet told to the app (`takePromotion`).
        var promoted = false
        /// A freeze is a lease: unless released or resumed by then, the session decides for itself (`SessionKeeper`).
        var leaseUntil: ContinuousClock.Instant?
        /// Where the frozen session was being moved (`host:port`): asked at the lease's end.
        var successor: String?
        /// The successor's asks left unanswered since the lease ended (`LeaseSettlement`).
        var unansweredAsks = 0
        /// A standby copy's newest checkpoint, as it came: decoded only if the copy is promoted (`state` is the
        /// first checkpoint's until then).
        var undecoded: Data?

        init(state: State, phase: SessionPhase, version: Int, epoch: Int = 0) {
            self.state = state
            self.phase = phase
            self.version = version
            self.epoch = epoch
        }
    }

    struct Storage {
        var entries: [String: Entry] = [:]
        var released: Set<String> = []
        var refusesImports = false
        /// Told when the keeper's next wake may have come earlier: a standby assigned, a freeze with a lease.
        var scheduleChanged: (@Sendable () -> Void)?
    }

    private let storage = Mutex(Storage())
    public let capacity: Int

    public init(capacity: Int = .max) { self.capacity = capacity }

    /// `body` runs (outside the table's lock) whenever the keeper's next wake may have come earlier (`nextWake`).
    func onScheduleChange(_ body: @escaping @Sendable () -> Void) { storage.withLock { $0.scheduleChanged = body } }

    private func scheduleChanged() { storage.withLock { $0.scheduleChanged }?() }

    /// Refuse imports (to exercise the mobility service's rollback; an app would refuse when it is full).
    public func setRefusesImports(_ value: Bool) { storage.withLock { $0.refusesImports = value } }

    /// What a session's traffic may do here.
    public enum Access: Sendable {
        case active(State)
        case frozen
        case released
        case unknown
    }

    /// Frozen, imported and standby copies are not serving: their traffic is told to wait (`frozen`).
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
            guard let entry = storage.entries[id], entry.phase == .active else { return nil }
            let result = body(&entry.state)
            entry.version += 1
            return result
        }
    }

    /// Runs `body` over every active session (a game's tick). Frozen and imported sessions wait.
    public func updateActive(_ body: (String, inout State) -> Void) {
        storage.withLock { storage in
            for (id, entry) in storage.entries where entry.phase == .active {
                body(id, &entry.state)
                entry.version += 1
            }
        }
    }

    static func activeCount(_ storage: Storage) -> Int { storage.entries.values.count { $0.phase == .active } }

    public var activeCount: Int { storage.withLock { Self.activeCount($0) } }
    /// Sessions this instance holds the only serving copy of: active ones and those frozen mid-move (not imported
    /// or standby copies, which exist elsewhere too). Stopping the instance now would lose them.
    public var heldCount: Int { storage.withLock { $0.entries.values.count { $0.phase == .active || $0.phase == .frozen } } }
    public var sessionIDs: [String] { storage.withLock { $0.entries.keys.sorted() } }

    // MARK: The protocol's steps

    /// `lease`: with `freeze`, how long the freeze holds before the session decides for itself (resume, or release
    /// when `successor` serves it); nil holds until resumed or released.
    public func export(_ id: String, freeze: Bool, lease: Duration? = nil, successor: String? = nil) throws(StateTransferError)
        -> (data: Data, version: Int)
    {
        let (state, version, leased) = try storage.withLock { (storage: inout Storage) throws(StateTransferError) in
            guard let entry = storage.entries[id] else { throw .notFound(id) }
            guard entry.phase != .imported, entry.phase != .standby else { throw .conflict("session \(id) is \(entry.phase.rawValue) here, not serving") }
            if freeze {
                entry.phase = .frozen
                entry.leaseUntil = lease.map { ContinuousClock.now + $0 }
                entry.successor = successor
                entry.unansweredAsks = 0
            }
            return (entry.state, entry.version, entry.leaseUntil != nil)
        }
        if leased { scheduleChanged() }
        do {
            return (try state.transferBytes(), version)
        } catch {
            throw StateTransferError(status: 500, "cannot encode state: \(error)")
        }
    }

    /// Takes a session's state from another instance. A pre-copy may be replaced by a later import; a session
    /// that is active here is never overwritten.
    public func importState(_ id: String, data: Data, version: Int) throws(StateTransferError) {
        let state: State
        state = try Self.decode(data)
        try storage.withLock { (storage: inout Storage) throws(StateTransferError) in
            if storage.refusesImports { throw .refused("this instance does not accept sessions now") }
            if let entry = storage.entries[id], entry.phase != .imported, entry.phase != .standby {
                throw .conflict("session \(id) is \(entry.phase.rawValue) here")
            }
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
            guard let entry = storage.entries[id] else { throw .notFound(id) }
            guard entry.phase != .standby else { throw .conflict("session \(id) is a standby copy here: promote it with an epoch") }
            entry.phase = .active
            entry.leaseUntil = nil
            entry.successor = nil
            entry.unansweredAsks = 0
        }
    }

    /// Releases session `id` unless it serves here: what a frozen source asks of the successor when its lease ends,
    /// and the mobility service of a target whose resume it cannot confirm. True: nothing serves it here any more (a
    /// later resume of it fails); false: it is active here, so the caller must not resume its own copy.
    public func releaseUnlessActive(_ id: String) -> Bool {
        storage.withLock { storage in
            if storage.entries[id]?.phase == .active { return false }
            storage.entries.removeValue(forKey: id)
            storage.released.insert(id)
            return true
        }
    }

    /// Frozen sessions whose lease ended, with the successor to ask and how many earlier asks it left unanswered;
    /// each is reported once per lease.
    public func expiredLeases(now: ContinuousClock.Instant) -> [(id: String, successor: String?, unansweredAsks: Int)] {
        storage.withLock { storage in
            var expired: [(String, String?, Int)] = []
            for (id, entry) in storage.entries where entry.phase == .frozen {
                if let until = entry.leaseUntil, until <= now {
                    entry.leaseUntil = nil
                    expired.append((id, entry.successor, entry.unansweredAsks))
                }
            }
            return expired
        }
    }

    /// Gives a frozen session whose lease ended another lease, to `until`: its successor did not answer the ask.
    func renewLease(_ id: String, until: ContinuousClock.Instant) {
        let renewed = storage.withLock { storage in
            guard let entry = storage.entries[id], entry.phase == .frozen else { return false }
            entry.leaseUntil = until
            entry.unansweredAsks += 1
            return true
        }
        if renewed { scheduleChanged() }
    }

    public func release(_ id: String) {
        storage.withLock { storage in
            if storage.entries.removeValue(forKey: id) != nil { storage.released.insert(id) }
        }
    }

    // MARK: Standby copies (session protection)

    /// Tells this instance, the primary, where to keep a standby copy of session `id`: from now on its
    /// checkpoints go there every `intervalMs` (`SessionKeeper`). Raises the session's epoch to `epoch`.
    public func assignStandby(_ id: String, _ assignment: StandbyAssignment) throws(StateTransferError) {
        try storage.withLock { (storage: inout Storage) throws(StateTransferError) in
            guard let entry = storage.entries[id], entry.phase == .active || entry.phase == .frozen else { throw .notFound(id) }
            guard assignment.epoch >= entry.epoch else {
                throw .fenced("session \(id) is at epoch \(entry.epoch) here; the assignment is for epoch \(assignment.epoch)")
            }
            entry.epoch = assignment.epoch
            if entry.standby?.endpoint != assignment.endpoint { entry.pushedVersion = -1 }
            entry.standby = assignment
        }
        scheduleChanged()
    }

    /// What a checkpoint did at the standby.
    public enum CheckpointResult: String, Sendable, Codable {
        /// Kept: the newest copy here.
        case accepted
        /// Older than the copy already here (a reordered or repeated checkpoint): nothing changed.
        case stale
        /// The sender is not the session's primary any more: a newer epoch holds it (here, or promoted here).
        case fenced
    }

    /// Takes a checkpoint of session `id` from its primary. A checkpoint is newer when its epoch is higher, or equal
    /// with a higher version. An instance that serves the session itself (it was promoted) answers `fenced`: the
    /// sender is an old primary and must stop.
    /// Only a session's first checkpoint here is decoded (a copy needs a state); later ones are kept as they came and
    /// decoded if the copy is promoted — a standby takes a checkpoint every 100 ms and almost never serves.
    public func checkpoint(_ id: String, data: Data, version: Int, epoch: Int) throws(StateTransferError) -> CheckpointResult {
        var first: State?
        if storage.withLock({ $0.entries[id] == nil }) { first = try Self.decode(data) }
        while true {
            let result: CheckpointResult? = storage.withLock { storage in
                if let entry = storage.entries[id] {
                    guard entry.phase == .standby else { return .fenced }
                    if epoch < entry.epoch { return .fenced }
                    if epoch == entry.epoch, version <= entry.version { return .stale }
                    entry.undecoded = data
                    entry.version = version
                    entry.epoch = epoch
                    return .accepted
                }
                guard let first else { return nil }
                storage.released.remove(id)
                storage.entries[id] = Entry(state: first, phase: .standby, version: version, epoch: epoch)
                return .accepted
            }
            if let result { return result }
            // The copy went away between the look and the write: this checkpoint is the first again.
            first = try Self.decode(data)
        }
    }

    static func decode(_ data: Data) throws(StateTransferError) -> State {
        do { return try State(transferBytes: data) } catch { throw .refused("state does not decode: \(error)") }
    }

    /// Promotes a standby copy (or resumes an import) at `epoch`: it serves from now on. Returns the version it
    /// starts from.
    @discardableResult
    public func promote(_ id: String, epoch: Int) throws(StateTransferError) -> Int {
        try storage.withLock { (storage: inout Storage) throws(StateTransferError) in
            guard let entry = storage.entries[id] else { throw .notFound(id) }
            guard epoch > entry.epoch || entry.phase != .active else {
                throw .fenced("session \(id) already serves here at epoch \(entry.epoch)")
            }
            // Decoded before anything changes: a checkpoint that does not decode leaves the copy as it was.
            let newest = try entry.undecoded.map { (data) throws(StateTransferError) in try Self.decode(data) }
            if let newest {
                entry.state = newest
                entry.undecoded = nil
            }
            entry.promoted = entry.phase == .standby
            entry.phase = .active
            entry.epoch = max(entry.epoch, epoch)
            entry.standby = nil
            return entry.version
        }
    }

    /// True once after session `id` was promoted from a standby copy: the app may need to resynchronise with its
    /// client (the copy is up to one checkpoint interval behind what the client last saw acknowledged).
    public func takePromotion(_ id: String) -> Bool {
        storage.withLock { storage in
            guard let entry = storage.entries[id], entry.promoted else { return false }
            entry.promoted = false
            return true
        }
    }

    /// An old primary learned it was fenced: it stops serving the session (later traffic gets 410).
    public func fence(_ id: String) {
        release(id)
    }

    /// Checkpoints due now (for `SessionKeeper`): active sessions with a standby whose state changed since the last
    /// push, never pushed, or pushed at least half their interval ago.
    ///
    /// Half, not all: a round also takes the sessions that would be due before the next one, so the sessions of an
    /// instance fall into step and go out in one round per interval (one request per standby instance) instead of
    /// one round per session. A session is pushed at most one interval after its last push (`nextWake`).
    public func dueCheckpoints(now: ContinuousClock.Instant) -> [(id: String, standby: StandbyAssignment, version: Int, data: Data)] {
        let due: [(String, StandbyAssignment, Int, State)] = storage.withLock { storage in
            var due: [(String, StandbyAssignment, Int, State)] = []
            for (id, entry) in storage.entries where entry.phase == .active {
                guard let standby = entry.standby, entry.version != entry.pushedVersion else { continue }
                if let at = entry.pushedAt, (now - at) * 2 < .milliseconds(standby.intervalMs) { continue }
                due.append((id, standby, entry.version, entry.state))
            }
            return due
        }
        // Encoded outside the lock: the game's tick and datagrams take it too.
        return due.compactMap { id, standby, version, state in (try? state.transferBytes()).map { (id, standby, version, $0) } }
    }

    /// When the keeper must next look (after `now`): the earliest end of a session's checkpoint interval or of a
    /// freeze's lease. A session whose interval already ended (unchanged since, or its standby did not answer) is
    /// looked at again one interval from now. Nil: nothing to look after until the schedule changes.
    public func nextWake(after now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        storage.withLock { storage in
            var wake: ContinuousClock.Instant?
            for entry in storage.entries.values {
                switch entry.phase {
                case .frozen:
                    if let until = entry.leaseUntil { wake = min(wake ?? until, until) }
                case .active:
                    guard let standby = entry.standby else { continue }
                    let interval = Duration.milliseconds(standby.intervalMs)
                    var next = entry.pushedAt.map { $0 + interval } ?? now + interval
                    if next <= now { next = now + interval }
                    wake = min(wake ?? next, next)
                default:
                    continue
                }
            }
            return wake
        }
    }

    func markPushed(_ id: String, version: Int, at now: ContinuousClock.Instant) {
        storage.withLock { storage in
            guard let entry = storage.entries[id] else { return }
            entry.pushedVersion = version
            entry.pushedAt = now
        }
    }

    public func describe(_ id: String) -> (phase: SessionPhase, version: Int, bytes: Int)? {
        guard let (phase, version, undecoded, state) = storage.withLock({ storage in
            storage.entries[id].map { ($0.phase, $0.version, $0.undecoded?.count, $0.state) }
        }) else { return nil }
        return (phase, version, undecoded ?? (try? state.transferBytes().count) ?? 0)
    }
}
