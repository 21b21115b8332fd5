import DequeModule
import NIOCore

/// The edge data gateway's decisions, free of I/O (NIO's state-machine style): packets and rule changes in, what to
/// send out. Each flow (5-tuple) is decided by the rule matching it now, so a changed rule switches the flow at its
/// next packet; while the rule says BUFFER, the flow's packets queue (in order, up to `maxHeldPackets` and `maxHold`)
/// and leave the moment a rule forwards them again. A flow holding packets keeps queuing behind them, so order is
/// kept across the switch. A flow no rule matches passes through (MEC 011's default: not the edge's traffic).
public struct FlowSwitch<Peer: Hashable & Sendable>: Sendable {
    public struct Limits: Sendable {
        public var maxHeldPackets: Int
        public var maxHold: Duration
        public init(maxHeldPackets: Int = 512, maxHold: Duration = .seconds(2)) {
            self.maxHeldPackets = maxHeldPackets
            self.maxHold = maxHold
        }
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
        case held(FlowKey, rule: String)
        case dropped(FlowKey, rule: String?, DropReason)
    }

    struct Flow {
        var peer: Peer
        var teid: UInt32
        var held: Deque<Packet> = []
    }

    public let limits: Limits
    public private(set) var table: TrafficRuleTable
    var flows: [FlowKey: Flow] = [:]

    public init(table: TrafficRuleTable = TrafficRuleTable(), limits: Limits = Limits()) {
        self.table = table
        self.limits = limits
    }

    /// Where answers on `flow` go back to: the UPF and tunnel its last packet came from.
    public func tunnel(of flow: FlowKey) -> (peer: Peer, teid: UInt32)? { flows[flow].map { ($0.peer, $0.teid) } }

    public var flowCount: Int { flows.count }
    public var flowKeys: Set<FlowKey> { Set(flows.keys) }
    public var heldCount: Int { flows.values.reduce(0) { $0 + $1.held.count } }

    public mutating func uplink(_ packet: Packet) -> Output {
        let key = packet.flow
        flows[key, default: Flow(peer: packet.peer, teid: packet.teid)].peer = packet.peer
        flows[key]?.teid = packet.teid
        let rule = table.match(key)
        if let rule, flows[key]?.held.isEmpty == false || rule.action == .buffer {
            return hold(packet, rule: rule.key)
        }
        guard let rule else { return .send(packet, rule: nil, action: .passthrough) }
        if rule.action == .drop { return .dropped(key, rule: rule.key, .rule) }
        return .send(packet, rule: rule, action: rule.action)
    }

    mutating func hold(_ packet: Packet, rule: String) -> Output {
        guard (flows[packet.flow]?.held.count ?? 0) < limits.maxHeldPackets else { return .dropped(packet.flow, rule: rule, .holdFull) }
        flows[packet.flow]?.held.append(packet)
        return .held(packet.flow, rule: rule)
    }

    /// Installs a rule (or its new version) and releases what it no longer holds.
    public mutating func set(_ rule: CompiledRule) -> [Output] {
        table.set(rule)
        return release()
    }

    public mutating func remove(rule key: String) -> [Output] {
        table.remove(key)
        return release()
    }

    /// Held packets whose flow's rule no longer buffers: sent (in order), dropped or passed through, as it says now.
    mutating func release() -> [Output] {
        var out: [Output] = []
        for (key, flow) in flows where !flow.held.isEmpty {
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
        }
        return out
    }

    /// Drops held packets older than `maxHold`, and forgets flows idle for `idle`.
    public mutating func expire(now: ContinuousClock.Instant, idle: Duration = .seconds(300), lastSeen: (FlowKey) -> ContinuousClock.Instant?) -> [Output] {
        var out: [Output] = []
        for key in flows.keys {
            while let first = flows[key]?.held.first, now - first.at > limits.maxHold {
                flows[key]?.held.removeFirst()
                out.append(.dropped(key, rule: table.match(key)?.key, .holdExpired))
            }
            if flows[key]?.held.isEmpty == true, let seen = lastSeen(key), now - seen > idle { flows[key] = nil }
        }
        return out
    }
}
