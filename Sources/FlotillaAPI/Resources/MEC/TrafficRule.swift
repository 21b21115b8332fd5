/// mec.flotilla.io/v1alpha1 TrafficRule: how the sites' edge data gateways steer UE traffic, shaped like ETSI MEC 011's
/// TrafficRule. The mobility service writes one per session of an app with a `dataPath` (named after the AppSession):
/// it forwards the UE's flows to the instance holding the session, buffers them while the session is frozen for a
/// move, and points at the target when the target resumes. Apps read and change their own rules over Mp1
/// (`/mec_app_support/v1/applications/{appInstanceId}/traffic_rules`); every gateway watches them all.
///
/// Flotilla's additions to MEC 011's shape: `appInstanceId` (whose rule it is), `site` (where `dstInterface` is, so a
/// gateway elsewhere knows it forwards across sites), `dstInterface.dstPort`, and the action `BUFFER` (3GPP's FAR
/// apply action BUFF: hold the flow's packets until the rule forwards again).
///
/// The status says what the data gateway of the rule's `site` has in force (the site whose gateway the UE's traffic
/// reaches). The mobility service waits there for its BUFFER before it freezes a session's source, so no datagram
/// reaches a frozen instance.
@FastJSON
public struct TrafficRule: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: TrafficRuleSpec
    public var status: TrafficRuleStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: TrafficRuleSpec, status: TrafficRuleStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public static let descriptor = ResourceDescriptor(
        group: "mec.flotilla.io", version: "v1alpha1", kind: "TrafficRule", plural: "trafficrules", shortNames: ["tr"],
        categories: ["flotilla-mec"], namespaced: true, subresources: ["status"], admit: TrafficRule.admit,
        unknownFields: TrafficRule.unknownFieldPaths)

    public func validate() -> [FieldError] { spec.problems(at: FieldPath("spec")) }
}

@FastJSON
public struct TrafficRuleSpec: Sendable, Hashable, Codable {
    public var trafficRuleId: String
    /// FLOW (PACKET is MEC 011's other value; Flotilla's gateways match flows only and refuse it).
    public var filterType: String
    /// 0 (first) to 255 (last). Of the rules matching a flow, the lowest number wins; equal numbers go by name.
    public var priority: Int
    /// A flow matches the rule when it matches any filter (none: every flow).
    public var trafficFilter: [TrafficFilter]
    /// FORWARD_DECAPSULATED, FORWARD_AS_IS, DROP, PASSTHROUGH or BUFFER.
    public var action: String
    /// Where FORWARD_* sends the flow.
    public var dstInterface: InterfaceDescriptor?
    /// ACTIVE or INACTIVE (an inactive rule matches nothing).
    public var state: String
    public var appInstanceId: String?
    /// The cluster `dstInterface` is at.
    public var site: String?
    public var unknownFields = UnknownFields()

    public init(trafficRuleId: String, priority: Int, trafficFilter: [TrafficFilter], action: String,
                dstInterface: InterfaceDescriptor? = nil, site: String? = nil, appInstanceId: String? = nil) {
        self.trafficRuleId = trafficRuleId
        self.filterType = "FLOW"
        self.priority = priority
        self.trafficFilter = trafficFilter
        self.action = action
        self.dstInterface = dstInterface
        self.state = "ACTIVE"
        self.site = site
        self.appInstanceId = appInstanceId
    }

    public static let actions = ["FORWARD_DECAPSULATED", "FORWARD_AS_IS", "DROP", "PASSTHROUGH", "BUFFER"]
    public static let states = ["ACTIVE", "INACTIVE"]

    public var forwards: Bool { action.hasPrefix("FORWARD_") }

    /// What is wrong with the rule, each error naming its field (the Mp1 API answers the first as ProblemDetails).
    public func problems(at path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if trafficRuleId.isEmpty { errors.append(.required(path.child("trafficRuleId"))) }
        if filterType != "FLOW" { errors.append(.notSupported(path.child("filterType"), filterType, supported: ["FLOW"])) }
        if !(0...255).contains(priority) { errors.append(.invalid(path.child("priority"), "\(priority)", "must be 0 to 255")) }
        if !Self.actions.contains(action) { errors.append(.notSupported(path.child("action"), action, supported: Self.actions)) }
        if !Self.states.contains(state) { errors.append(.notSupported(path.child("state"), state, supported: Self.states)) }
        for (i, filter) in trafficFilter.enumerated() { errors += filter.problems(at: path.child("trafficFilter").index(i)) }
        if forwards {
            if let dst = dstInterface {
                errors += dst.problems(at: path.child("dstInterface"))
            } else {
                errors.append(.required(path.child("dstInterface"), "\(action) needs somewhere to send the flow"))
            }
            if site?.isEmpty ?? true { errors.append(.required(path.child("site"), "the cluster dstInterface is at")) }
        }
        return errors
    }
}

/// What the data gateway of a rule's site applies: the generation of the spec it has in force, and that spec's action.
@FastJSON
public struct TrafficRuleStatus: Sendable, Hashable, Codable {
    public var site: String?
    public var observedGeneration: Int64?
    public var action: String?
    public var unknownFields = UnknownFields()

    public init(site: String? = nil, observedGeneration: Int64? = nil, action: String? = nil) {
        self.site = site
        self.observedGeneration = observedGeneration
        self.action = action
    }
}

/// MEC 011's TrafficFilter, the members a flow gateway can match: each list matches when empty or when it holds the
/// flow's value.
@FastJSON
public struct TrafficFilter: Sendable, Hashable, Codable {
    public var srcAddress: [String]?
    public var srcPort: [String]?
    public var dstAddress: [String]?
    public var dstPort: [String]?
    /// UDP or TCP.
    public var `protocol`: [String]?
    public var unknownFields = UnknownFields()

    public init(srcAddress: [String]? = nil, srcPort: [String]? = nil, dstAddress: [String]? = nil, dstPort: [String]? = nil,
                protocol: [String]? = nil) {
        self.srcAddress = srcAddress
        self.srcPort = srcPort
        self.dstAddress = dstAddress
        self.dstPort = dstPort
        self.protocol = `protocol`
    }

    public static let protocols = ["UDP", "TCP"]

    func problems(at path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for (name, addresses) in [("srcAddress", srcAddress), ("dstAddress", dstAddress)] {
            for (i, address) in (addresses ?? []).enumerated() where IPv4.parse(address) == nil {
                errors.append(.invalid(path.child(name).index(i), address, "must be an IPv4 address"))
            }
        }
        for (name, ports) in [("srcPort", srcPort), ("dstPort", dstPort)] {
            for (i, port) in (ports ?? []).enumerated() where IPv4.port(port) == nil {
                errors.append(.invalid(path.child(name).index(i), port, "must be a port, 1 to 65535"))
            }
        }
        for (i, value) in (`protocol` ?? []).enumerated() where !Self.protocols.contains(value.uppercased()) {
            errors.append(.notSupported(path.child("protocol").index(i), value, supported: Self.protocols))
        }
        return errors
    }
}

/// MEC 011's InterfaceDescriptor for an IP next hop, with the port the instance listens on.
@FastJSON
public struct InterfaceDescriptor: Sendable, Hashable, Codable {
    /// IP (TUNNEL and MAC are MEC 011's other values; Flotilla's gateways forward over IP only).
    public var interfaceType: String
    public var dstIpAddress: String?
    public var dstPort: Int?
    public var unknownFields = UnknownFields()

    public init(dstIpAddress: String, dstPort: Int) {
        self.interfaceType = "IP"
        self.dstIpAddress = dstIpAddress
        self.dstPort = dstPort
    }

    /// `host:port`.
    public var endpoint: String? {
        guard let host = dstIpAddress, let port = dstPort else { return nil }
        return "\(host):\(port)"
    }

    func problems(at path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if interfaceType != "IP" { errors.append(.notSupported(path.child("interfaceType"), interfaceType, supported: ["IP"])) }
        if let address = dstIpAddress {
            if IPv4.parse(address) == nil { errors.append(.invalid(path.child("dstIpAddress"), address, "must be an IPv4 address")) }
        } else {
            errors.append(.required(path.child("dstIpAddress")))
        }
        if let port = dstPort {
            if !(1...65535).contains(port) { errors.append(.invalid(path.child("dstPort"), "\(port)", "must be 1 to 65535")) }
        } else {
            errors.append(.required(path.child("dstPort")))
        }
        return errors
    }
}

/// Dotted-quad IPv4 addresses as 32-bit numbers.
public enum IPv4 {
    public static func parse(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard part.count <= 3, let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    public static func format(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    public static func port(_ text: String) -> UInt16? {
        guard let port = UInt16(text), port > 0 else { return nil }
        return port
    }
}
