import DequeModule
import NIOCore

/// The edge data gateway's decisions, free of I/O (NIO's state-machine style): packets and rule changes in, what to
/// send out. Each flow (5-tuple) is decided by the rule matching it now, so a changed rule switches the flow at its
/// next packet; while the rule says BUFFER, the flow's packets queue (in order, up to `maxHeldPackets` and `maxHold`)
/// and leave the moment a rule forwards them again. A flow holding packets keeps queuing behind them, so order is
/// kept across the switch. A flow no rule matches passes through (MEC 011's default: not the edge's traffic).
///
/// A hold that replaces a forwarding version begins in the gap after a packet when its flows keep a pace (a game's
/// ticks): the version waits as a *pending hold* for the next packet of a paced flow it matches, which still goes the
/// old way, and holds from then on. A move that fits in the gap between two packets then holds none of them. The
/// wait is bounded by `holdAlignment` and by half a gap past the packet's due time; a rule whose flows keep no pace
/// holds at once.
public struct FlowSwitch<Peer: Hashable & Sendable>: Sendable {
    public struct Limits: Sendable {
        public var maxHeldPackets: Int
        public var maxHold: Duration
        /// How long a hold may wait for the next packet of its flows (zero: holds begin at once).
        public var holdAlignment: Duration
        public init(maxHeldPackets: Int = 512, maxHold: Duration = .seconds(2), holdAlignment: Duration = .milliseconds(50)) {
            self.maxHeldPackets = maxHeldPackets
            self.maxHold = maxHold
            self.holdAlignment = holdAlignment
        }
    }

    /// A BUFFER version waiting for the next packet of its flows: until then they follow `previous`.
    public struct PendingHold: Sendable {
        public var previous: CompiledRule
        /// When the hold begins if no packet came.
        public var deadline: ContinuousClock.Instant
    }

    /// One packet from a UPF: the tunnel it came in and the decapsulated flow and payload; `original` is the G-PDU.
    public struct Packet: Sendable {
        public var peer: Peer
        public var teid: UInt32
        public var flow: FlowKey
        public var payload: ByteBuffer
        public var original: ByteBuffer
        public var at: ContinuousClock.Instant

        public init(peer: Peer, teid: UInt32, flow: FlowKey, payload: ByteBuffer, original: ByteBuffer, at: ContinuousClock.Instant) {
            self.peer = peer
            self.teid = teid
            self.flow = flow
            self.payload = payload
            self.original = original
            self.at = at
        }
    }

    public enum DropReason: String, Sendable {
        case rule = "rule"
        case holdFull = "hold-full"
        case holdExpired = "hold-expired"
    }

    public enum Output: Sendable {
        /// Send per the rule's action (forward or passthrough).
        case send(Packet, rule: CompiledRule?, action: RuleAction)
        /// Send per the rule's previous version; the rule's pending hold begins behind this packet.
        case sendThenHold(Packet, rule: CompiledRule, action: RuleAction)
        case held(FlowKey, rule: String)
        case dropped(FlowKey, rule: String?, DropReason)
        /// The rule's pending hold ended without a packet: it reached its deadline, or a new version replaced it.
        case pendingHoldEnded(rule: String)
    }

    struct Flow {
        var peer: Peer
        var teid: UInt32
        var held: Deque<Packet> = []
        /// When the flow's last packet came, and its pace: the gap between packets, smoothed over the last few.
        var lastAt: ContinuousClock.Instant?
        var gap: Duration?
    }

    public let limits: Limits
    public private(set) var table: TrafficRuleTable
    var flows: [FlowKey: Flow] = [:]
    /// The flows holding packets, and every flow by its source address: a rule change or a hold looks only at the
    /// flows it can concern, not at all of them.
    var holding: Set<FlowKey> = []
    var bySource: [UInt32: Set<FlowKey>] = [:]
    var lastIdleSweep: ContinuousClock.Instant?
    /// By rule key.
    public private(set) var pendingHolds: [String: PendingHold] = [:]

    public init(table: TrafficRuleTable = TrafficRuleTable(), limits: Limits = Limits()) {
        self.table = table
        self.limits = limits
    }

    /// Where answers on `flow` go back to: the UPF and tunnel its last packet came from.
    public func tunnel(of flow: FlowKey) -> (peer: Peer, teid: UInt32)? { flows[flow].map { ($0.peer, $0.teid) } }

    public var flowCount: Int { flows.count }
    public var flowKeys: Set<FlowKey> { Set(flows.keys) }
    public var heldCount: Int { holding.reduce(0) { $0 + (flows[$1]?.held.count ?? 0) } }

    public mutating func uplink(_ packet: Packet) -> Output {
        let key = packet.flow
        let holding = update(key, with: packet)
        let rule = table.match(key)
        if let rule, rule.action == .buffer, !holding, let pending = pendingHolds.removeValue(forKey: rule.key) {
            return .sendThenHold(packet, rule: pending.previous, action: pending.previous.action)
        }
        if let rule, holding || rule.action == .buffer {
            return hold(packet, rule: rule.key)
        }
        guard let rule else { return .send(packet, rule: nil, action: .passthrough) }
        if rule.action == .drop { return .dropped(key, rule: rule.key, .rule) }
        return .send(packet, rule: rule, action: rule.action)
    }

    /// Records the packet's tunnel and the flow's pace; true when the flow is holding packets already.
    mutating func update(_ key: FlowKey, with packet: Packet) -> Bool {
        guard let index = flows.index(forKey: key) else {
            flows[key] = Flow(peer: packet.peer, teid: packet.teid, lastAt: packet.at)
            bySource[key.srcAddress, default: []].insert(key)
            return false
        }
        // In place: one hash look-up per packet, and the held queue is never copied.
        flows.values[index].peer = packet.peer
        flows.values[index].teid = packet.teid
        if let last = flows.values[index].lastAt, packet.at > last {
            let gap = packet.at - last
            flows.values[index].gap = flows.values[index].gap.map { ($0 * 3 + gap) / 4 } ?? gap
        }
        flows.values[index].lastAt = packet.at
        return !flows.values[index].held.isEmpty
    }

    mutating func hold(_ packet: Packet, rule: String) -> Output {
        guard (flows[packet.flow]?.held.count ?? 0) < limits.maxHeldPackets else { return .dropped(packet.flow, rule: rule, .holdFull) }
        flows[packet.flow]?.held.append(packet)
        holding.insert(packet.flow)
        return .held(packet.flow, rule: rule)
    }

    /// Installs a rule (or its new version) and releases what it no longer holds. A hold replacing a version that
    /// forwards or passes through waits for its flows' next packet when they keep a pace (`pendingHolds`).
    public mutating func set(_ rule: CompiledRule, now: ContinuousClock.Instant = .now) -> [Output] {
        let previous = table.rules[rule.key]
        table.set(rule)
        var out: [Output] = []
        if rule.action == .buffer {
            // The same hold again (its status written, say) keeps waiting as it was.
            if pendingHolds[rule.key] == nil, let previous, previous.action != .buffer, previous.action != .drop,
               let deadline = alignedStart(of: rule.key, now: now) {
                pendingHolds[rule.key] = PendingHold(previous: previous, deadline: deadline)
            }
        } else if pendingHolds.removeValue(forKey: rule.key) != nil {
            out.append(.pendingHoldEnded(rule: rule.key))
        }
        return out + release()
    }

    public mutating func remove(rule key: String) -> [Output] {
        table.remove(key)
        let ended: [Output] = pendingHolds.removeValue(forKey: key) != nil ? [.pendingHoldEnded(rule: key)] : []
        return ended + release()
    }

    /// When a hold of `rule` should begin if no packet comes first: the earliest of its paced flows' due times plus
    /// half a gap, at most `holdAlignment` from now. Nil (at once) when no flow it matches keeps a pace now: none has
    /// two packets yet, or its next is already half a gap late, or it is holding packets. A rule limited to source
    /// addresses (a session's) looks only at the flows from them.
    func alignedStart(of rule: String, now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard limits.holdAlignment > .zero, let compiled = table.rules[rule] else { return nil }
        let candidates: [FlowKey] = TrafficRuleTable.sources(of: compiled).map { $0.flatMap { bySource[$0] ?? [] } } ?? Array(flows.keys)
        var earliest: ContinuousClock.Instant?
        for key in candidates {
            guard let flow = flows[key], flow.held.isEmpty, let last = flow.lastAt, let gap = flow.gap, gap > .zero,
                  table.match(key)?.key == rule else { continue }
            let bound = last + gap + gap / 2
            if bound > now, earliest.map({ bound < $0 }) ?? true { earliest = bound }
        }
        return earliest.map { min($0, now + limits.holdAlignment) }
    }

    /// Begins the pending holds whose deadline passed.
    public mutating func beginDueHolds(now: ContinuousClock.Instant) -> [Output] {
        let due = pendingHolds.filter { $0.value.deadline <= now }.keys
        for key in due { pendingHolds[key] = nil }
        return due.map { .pendingHoldEnded(rule: $0) }
    }

    /// Held packets whose flow's rule no longer buffers: sent (in order), dropped or passed through, as it says now.
    mutating func release() -> [Output] {
        var out: [Output] = []
        for key in holding {
            guard let flow = flows[key] else { continue }
            let rule = table.match(key)
            if rule?.action == .buffer { continue }
            for packet in flow.held {
                switch rule {
                case let rule? where rule.action == .drop: out.append(.dropped(key, rule: rule.key, .rule))
                case let rule?: out.append(.send(packet, rule: rule, action: rule.action))
                case nil: out.append(.send(packet, rule: nil, action: .passthrough))
                }
            }
            flows[key]?.held = []
            holding.remove(key)
        }
        return out
    }

    /// Drops held packets older than `maxHold`, and forgets flows idle for `idle` (looked for once a second).
    public mutating func expire(now: ContinuousClock.Instant, idle: Duration = .seconds(300), lastSeen: (FlowKey) -> ContinuousClock.Instant?) -> [Output] {
        var out = beginDueHolds(now: now)
        for key in holding {
            while let first = flows[key]?.held.first, now - first.at > limits.maxHold {
                flows[key]?.held.removeFirst()
                out.append(.dropped(key, rule: table.match(key)?.key, .holdExpired))
            }
            if flows[key]?.held.isEmpty != false { holding.remove(key) }
        }
        guard lastIdleSweep.map({ now - $0 >= .seconds(1) }) ?? true else { return out }
        lastIdleSweep = now
        for key in flows.keys where !holding.contains(key) {
            guard let seen = lastSeen(key), now - seen > idle else { continue }
            flows[key] = nil
            bySource[key.srcAddress]?.remove(key)
            if bySource[key.srcAddress]?.isEmpty == true { bySource[key.srcAddress] = nil }
        }
        return out
    }
}
