/// core/v1 Node: what a simulated site reports about its machines and what capacity accounting reads.
@FastJSON
public struct Node: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: NodeSpec?
    public var status: NodeStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: NodeSpec? = nil, status: NodeStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Node", plural: "nodes", shortNames: ["no"], namespaced: false,
        subresources: ["status"], builtin: true, selectableFields: ["spec.unschedulable"],
        fieldLabels: { ["spec.unschedulable": String($0["spec"]?["unschedulable"]?.boolValue ?? false)] },
        admit: Node.admit, unknownFields: Node.unknownFieldPaths)

    /// Ready condition is True.
    public var isReady: Bool { status?.conditions?.first { $0.type == "Ready" }?.status == .true }
    public var isSchedulable: Bool { !(spec?.unschedulable ?? false) }
}

@FastJSON
public struct NodeSpec: Sendable, Hashable, Codable {
    public var unschedulable: Bool?
    public var taints: [Taint]?
    public var podCIDR: String?
    public var providerID: String?
    public var unknownFields = UnknownFields()

    public init(unschedulable: Bool? = nil, taints: [Taint]? = nil, providerID: String? = nil) {
        self.unschedulable = unschedulable
        self.taints = taints
        self.providerID = providerID
    }
}

@FastJSON
public struct NodeStatus: Sendable, Hashable, Codable {
    public var capacity: [String: Quantity]?
    public var allocatable: [String: Quantity]?
    public var conditions: [NodeCondition]?
    public var addresses: [NodeAddress]?
    public var nodeInfo: JSONValue?
    public var unknownFields = UnknownFields()

    public init(capacity: [String: Quantity]? = nil, allocatable: [String: Quantity]? = nil,
                conditions: [NodeCondition]? = nil, addresses: [NodeAddress]? = nil, nodeInfo: JSONValue? = nil) {
        self.capacity = capacity
        self.allocatable = allocatable
        self.conditions = conditions
        self.addresses = addresses
        self.nodeInfo = nodeInfo
    }
}

/// Node conditions carry a heartbeat time besides the usual fields.
@FastJSON
public struct NodeCondition: Sendable, Hashable, Codable {
    public var type: String
    public var status: ConditionStatus
    public var lastHeartbeatTime: Timestamp?
    public var lastTransitionTime: Timestamp?
    public var reason: String?
    public var message: String?

    public init(type: String, status: ConditionStatus, reason: String? = nil, message: String? = nil,
                lastHeartbeatTime: Timestamp? = nil, lastTransitionTime: Timestamp? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastHeartbeatTime = lastHeartbeatTime
        self.lastTransitionTime = lastTransitionTime
    }
}

@FastJSON
public struct NodeAddress: Sendable, Hashable, Codable {
    public var type: String
    public var address: String

    public init(type: String, address: String) {
        self.type = type
        self.address = address
    }
}
