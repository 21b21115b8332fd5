/// core/v1 Pod: the spec is the shared `PodSpec`; the status is what a kubelet reports.
@FastJSON
public struct Pod: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PodSpec
    public var status: PodStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: PodSpec, status: PodStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Pod", plural: "pods", shortNames: ["po"], categories: ["all"],
        namespaced: true, subresources: ["status"], builtin: true,
        selectableFields: ["spec.nodeName", "status.phase", "status.podIP"],
        fieldLabels: { pod in
            ["spec.nodeName": pod["spec"]?["nodeName"]?.stringValue ?? "",
             "status.phase": pod["status"]?["phase"]?.stringValue ?? "",
             "status.podIP": pod["status"]?["podIP"]?.stringValue ?? ""]
        },
        admit: Pod.admit, unknownFields: Pod.unknownFieldPaths)

    public mutating func setDefaults() {
        spec.setDefaults()
        if status == nil { status = PodStatus(phase: "Pending") }
        if status?.phase == nil { status?.phase = "Pending" }
    }

    public func validate() -> [FieldError] { spec.validate(path: FieldPath("spec")) }

    public var phase: String { status?.phase ?? "Pending" }
    /// Succeeded or Failed: the pod holds no resources any more.
    public var isTerminal: Bool { phase == "Succeeded" || phase == "Failed" }
    public var isReady: Bool { status?.conditions?.first { $0.type == "Ready" }?.status == .true }
}

@FastJSON
public struct PodStatus: Sendable, Hashable, Codable {
    public var phase: String?
    public var conditions: [PodCondition]?
    public var message: String?
    public var reason: String?
    public var hostIP: String?
    public var podIP: String?
    public var podIPs: [PodIP]?
    public var startTime: Timestamp?
    public var containerStatuses: [ContainerStatus]?
    public var qosClass: String?
    public var unknownFields = UnknownFields()

    public init(phase: String? = nil) { self.phase = phase }

    /// Sets a condition, keeping `lastTransitionTime` when the status did not change.
    public mutating func setCondition(_ condition: PodCondition, now: Timestamp) {
        var condition = condition
        var all = conditions ?? []
        if let index = all.firstIndex(where: { $0.type == condition.type }) {
            condition.lastTransitionTime = all[index].status == condition.status ? (all[index].lastTransitionTime ?? now) : now
            all[index] = condition
        } else {
            condition.lastTransitionTime = now
            all.append(condition)
        }
        conditions = all
    }
}

@FastJSON
public struct PodCondition: Sendable, Hashable, Codable {
    public var type: String
    public var status: ConditionStatus
    public var lastProbeTime: Timestamp?
    public var lastTransitionTime: Timestamp?
    public var reason: String?
    public var message: String?

    public init(type: String, status: ConditionStatus, reason: String? = nil, message: String? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
    }
}

@FastJSON
public struct PodIP: Sendable, Hashable, Codable {
    public var ip: String
    public init(ip: String) { self.ip = ip }
}

@FastJSON
public struct ContainerStatus: Sendable, Hashable, Codable {
    public var name: String
    public var image: String
    public var imageID: String?
    public var containerID: String?
    public var ready: Bool
    public var started: Bool?
    public var restartCount: Int32
    /// `{"running": {"startedAt": …}}`, `{"waiting": {"reason": …}}` or `{"terminated": {…}}`.
    public var state: JSONValue?
    public var lastState: JSONValue?
    public var unknownFields = UnknownFields()

    public init(name: String, image: String, ready: Bool, restartCount: Int32, state: JSONValue?) {
        self.name = name
        self.image = image
        self.ready = ready
        self.restartCount = restartCount
        self.state = state
    }
}
