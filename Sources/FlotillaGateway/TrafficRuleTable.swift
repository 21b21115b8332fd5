import FlotillaAPI
import NIOCore

/// Where a rule sends a flow, as the gateway acts on it.
public enum RuleAction: Sendable, Hashable {
    /// To an instance at `site`: the inner payload alone (decapsulated), or the whole G-PDU (as is).
    case forward(host: String, port: Int, site: String, decapsulated: Bool)
    /// Hold the flow's packets until the rule forwards again (3GPP FAR BUFF).
    case buffer
    case drop
    /// Not for the edge: on to the gateway's default route, if it has one.
    case passthrough

    public var name: String {
        switch self {
        case .forward(_, _, _, true): "FORWARD_DECAPSULATED"
        case .forward: "FORWARD_AS_IS"
        case .buffer: "BUFFER"
        case .drop: "DROP"
        case .passthrough: "PASSTHROUGH"
        }
    }
}

/// A TrafficRule ready to match: filters as numbers, the action resolved.
public struct CompiledRule: Sendable, Hashable {
    /// `namespace/name` of the TrafficRule object.
    public var key: String
    public var priority: Int
    public var filters: [CompiledFilter]
    public var action: RuleAction
    /// The AppProfile the rule serves (its `mec.flotilla.io/app` label), to check the instance exists.
    public var app: String?
    /// The forward action's destination as a socket address, resolved once.
    public var destination: SocketAddress?

    struct Invalid: Error { var problems: [FieldError] }

    public init(key: String, priority: Int, filters: [CompiledFilter], action: RuleAction, app: String? = nil) {
        self.key = key
        self.priority = priority
        self.filters = filters
        self.action = action
        self.app = app
        self.destination = Self.resolve(action)
    }

    static func resolve(_ action: RuleAction) -> SocketAddress? {
        guard case .forward(let host, let port, _, _) = action else { return nil }
        return try? SocketAddress(ipAddress: host, port: port)
    }

    /// nil for an INACTIVE rule; throws for an invalid one (the gateway keeps what it had).
    public init?(_ rule: TrafficRule) throws {
        let problems = rule.validate()
        guard problems.isEmpty else { throw Invalid(problems: problems) }
        guard rule.spec.state == "ACTIVE" else { return nil }
        key = "\(rule.metadata.namespace ?? "")/\(rule.metadata.name ?? "")"
        priority = rule.spec.priority
        filters = rule.spec.trafficFilter.map(CompiledFilter.init)
        app = rule.metadata.labels?["mec.flotilla.io/app"]
        switch rule.spec.action {
        case "FORWARD_DECAPSULATED", "FORWARD_AS_IS":
            let dst = rule.spec.dstInterface!
            action = .forward(host: dst.dstIpAddress!, port: dst.dstPort!, site: rule.spec.site!, decapsulated: rule.spec.action == "FORWARD_DECAPSULATED")
        case "BUFFER": action = .buffer
        case "DROP": action = .drop
        default: action = .passthrough
        }
        destination = Self.resolve(action)
    }

    public func matches(_ flow: FlowKey) -> Bool { filters.isEmpty || filters.contains { $0.matches(flow) } }

    /// Table order: lower priority number first, then by key, so the winner never depends on arrival order.
    static func before(_ a: CompiledRule, _ b: CompiledRule) -> Bool { (a.priority, a.key) < (b.priority, b.key) }
}

public struct CompiledFilter: Sendable, Hashable {
    var srcAddresses: Set<UInt32>
    var srcPorts: Set<UInt16>
    var dstAddresses: Set<UInt32>
    var dstPorts: Set<UInt16>
    var protocols: Set<UInt8>

    init(_ filter: TrafficFilter) {
        srcAddresses = Set((filter.srcAddress ?? []).compactMap(IPv4.parse))
        srcPorts = Set((filter.srcPort ?? []).compactMap(IPv4.port))
        dstAddresses = Set((filter.dstAddress ?? []).compactMap(IPv4.parse))
        dstPorts = Set((filter.dstPort ?? []).compactMap(IPv4.port))
        protocols = Set((filter.protocol ?? []).map { $0.uppercased() == "TCP" ? 6 : 17 })
    }

    func matches(_ flow: FlowKey) -> Bool {
        (srcAddresses.isEmpty || srcAddresses.contains(flow.srcAddress)) && (srcPorts.isEmpty || srcPorts.contains(flow.srcPort))
            && (dstAddresses.isEmpty || dstAddresses.contains(flow.dstAddress)) && (dstPorts.isEmpty || dstPorts.contains(flow.dstPort))
            && (protocols.isEmpty || protocols.contains(flow.proto))
    }
}

/// The gateway's rules, in match order, indexed by source address: a rule whose filters all name source addresses
/// (the per-session rules the mobility service writes) is only tried for flows from those addresses, so matching
/// stays cheap with thousands of sessions.
public struct TrafficRuleTable: Sendable {
    public private(set) var rules: [String: CompiledRule] = [:]
    var bySource: [UInt32: [CompiledRule]] = [:]
    var general: [CompiledRule] = []

    public init(_ rules: [CompiledRule] = []) {
        for rule in rules { set(rule) }
    }

    /// Adds or replaces a rule (only its own index entries change).
    public mutating func set(_ rule: CompiledRule) {
        remove(rule.key)
        rules[rule.key] = rule
        if let sources = Self.sources(of: rule) {
            for address in sources {
                bySource[address, default: []].append(rule)
                bySource[address]?.sort(by: CompiledRule.before)
            }
        } else {
            general.append(rule)
            general.sort(by: CompiledRule.before)
        }
    }

    public mutating func remove(_ key: String) {
        guard let old = rules.removeValue(forKey: key) else { return }
        if let sources = Self.sources(of: old) {
            for address in sources {
                bySource[address]?.removeAll { $0.key == key }
                if bySource[address]?.isEmpty == true { bySource[address] = nil }
            }
        } else {
            general.removeAll { $0.key == key }
        }
    }

    /// The source addresses a rule is limited to, or nil when it may match any source.
    static func sources(of rule: CompiledRule) -> Set<UInt32>? {
        guard !rule.filters.isEmpty, rule.filters.allSatisfy({ !$0.srcAddresses.isEmpty }) else { return nil }
        return Set(rule.filters.flatMap(\.srcAddresses))
    }

    /// The rule that decides the flow: of those matching, the lowest priority number (ties by key).
    public func match(_ flow: FlowKey) -> CompiledRule? {
        let specific = bySource[flow.srcAddress]?.first { $0.matches(flow) }
        let other = general.first { $0.matches(flow) }
        switch (specific, other) {
        case let (a?, b?): return CompiledRule.before(a, b) ? a : b
        case let (a?, nil): return a
        case let (nil, b): return b
        }
    }
}
