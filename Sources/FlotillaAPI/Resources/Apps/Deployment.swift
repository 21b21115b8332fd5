/// apps/v1 Deployment, modelled as a template: what placement reads (replicas, selector, per-container resource
/// requests) is typed; every other field of the real Deployment is kept in `unknownFields` at its level.
@FastJSON
public struct Deployment: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: DeploymentSpec
    public var status: DeploymentStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: DeploymentSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "apps", version: "v1", kind: "Deployment", plural: "deployments", shortNames: ["deploy"],
        categories: ["all"], namespaced: true, subresources: ["status", "scale"], builtin: true, admit: Deployment.admit, unknownFields: Deployment.unknownFieldPaths)

    public mutating func setDefaults() {
        if spec.replicas == nil { spec.replicas = 1 }
        if spec.revisionHistoryLimit == nil { spec.revisionHistoryLimit = 10 }
        if spec.progressDeadlineSeconds == nil { spec.progressDeadlineSeconds = 600 }
        if spec.strategy == nil {
            spec.strategy = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": "25%"]]
        }
        spec.template.spec.setDefaults()
    }

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if let replicas = spec.replicas, replicas < 0 {
            errors.append(.invalid(FieldPath("spec.replicas"), String(replicas), "must be greater than or equal to 0"))
        }
        errors += SelectedTemplate.problems(selector: spec.selector, template: spec.template, kind: "deployment")
        return errors
    }

    /// Total resource requests of one replica (sum over containers), what placement divides capacity by.
    public var replicaRequests: [String: Quantity] { spec.template.spec.requests }
}

@FastJSON
public struct DeploymentSpec: Sendable, Hashable, Codable {
    public var replicas: Int32?
    public var selector: LabelSelector?
    public var template: PodTemplateSpec
    public var strategy: JSONValue?
    public var revisionHistoryLimit: Int32?
    public var progressDeadlineSeconds: Int32?
    public var minReadySeconds: Int32?
    public var paused: Bool?
    public var unknownFields = UnknownFields()

    public init(replicas: Int32?, selector: LabelSelector?, template: PodTemplateSpec) {
        self.replicas = replicas
        self.selector = selector
        self.template = template
    }
}

@FastJSON
public struct DeploymentStatus: Sendable, Hashable, Codable {
    public var observedGeneration: Int64?
    public var replicas: Int32?
    public var updatedReplicas: Int32?
    public var readyReplicas: Int32?
    public var availableReplicas: Int32?
    public var unavailableReplicas: Int32?
    public var conditions: [DeploymentCondition]?
    public var collisionCount: Int32?
    public var unknownFields = UnknownFields()

    public init() {}
}

/// Deployment conditions carry `lastUpdateTime` besides the usual fields.
@FastJSON
public struct DeploymentCondition: Sendable, Hashable, Codable {
    public var type: String
    public var status: ConditionStatus
    public var lastUpdateTime: Timestamp?
    public var lastTransitionTime: Timestamp?
    public var reason: String?
    public var message: String?

    public init(type: String, status: ConditionStatus, reason: String? = nil, message: String? = nil,
                lastUpdateTime: Timestamp? = nil, lastTransitionTime: Timestamp? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastUpdateTime = lastUpdateTime
        self.lastTransitionTime = lastTransitionTime
    }
}
