/// apps/v1 StatefulSet: what the sites' controller and the federation read is typed (replicas, selector, template,
/// the pod management policy); every other field is kept at its level. Sites run it: pods `<name>-0 … <name>-(n-1)`,
/// created in order and each only once the one before is Ready (OrderedReady) or all at once (Parallel), removed
/// from the highest ordinal down.
@FastJSON
public struct StatefulSet: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: StatefulSetSpec
    public var status: StatefulSetStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: StatefulSetSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "apps", version: "v1", kind: "StatefulSet", plural: "statefulsets", shortNames: ["sts"], categories: ["all"],
        namespaced: true, subresources: ["status", "scale"], builtin: true, admit: StatefulSet.admit, unknownFields: StatefulSet.unknownFieldPaths)

    static let policies = ["OrderedReady", "Parallel"]

    public mutating func setDefaults() {
        if spec.replicas == nil { spec.replicas = 1 }
        if spec.podManagementPolicy == nil { spec.podManagementPolicy = "OrderedReady" }
        if spec.revisionHistoryLimit == nil { spec.revisionHistoryLimit = 10 }
        if spec.updateStrategy == nil { spec.updateStrategy = ["type": "RollingUpdate", "rollingUpdate": ["partition": 0]] }
        spec.template.spec.setDefaults()
    }

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if let replicas = spec.replicas, replicas < 0 {
            errors.append(.invalid(FieldPath("spec.replicas"), String(replicas), "must be greater than or equal to 0"))
        }
        if let policy = spec.podManagementPolicy, !Self.policies.contains(policy) {
            errors.append(.notSupported(FieldPath("spec.podManagementPolicy"), policy, supported: Self.policies))
        }
        return errors + SelectedTemplate.problems(selector: spec.selector, template: spec.template, kind: "statefulset")
    }
}

@FastJSON
public struct StatefulSetSpec: Sendable, Hashable, Codable {
    public var replicas: Int32?
    public var selector: LabelSelector?
    public var template: PodTemplateSpec
    public var serviceName: String?
    /// OrderedReady (default) or Parallel.
    public var podManagementPolicy: String?
    public var updateStrategy: JSONValue?
    public var revisionHistoryLimit: Int32?
    public var unknownFields = UnknownFields()

    public init(replicas: Int32?, selector: LabelSelector?, template: PodTemplateSpec) {
        self.replicas = replicas
        self.selector = selector
        self.template = template
    }
}

@FastJSON
public struct StatefulSetStatus: Sendable, Hashable, Codable {
    public var observedGeneration: Int64?
    public var replicas: Int32
    public var readyReplicas: Int32?
    public var currentReplicas: Int32?
    public var updatedReplicas: Int32?
    public var availableReplicas: Int32?
    public var currentRevision: String?
    public var updateRevision: String?
    public var unknownFields = UnknownFields()

    public init(replicas: Int32 = 0) { self.replicas = replicas }
}
