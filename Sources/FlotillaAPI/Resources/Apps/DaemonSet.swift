/// apps/v1 DaemonSet: one pod on every schedulable node whose taints its template tolerates. Typed where the sites'
/// controller reads it; every other field is kept at its level.
@FastJSON
public struct DaemonSet: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: DaemonSetSpec
    public var status: DaemonSetStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: DaemonSetSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "apps", version: "v1", kind: "DaemonSet", plural: "daemonsets", shortNames: ["ds"], categories: ["all"],
        namespaced: true, subresources: ["status"], builtin: true, admit: DaemonSet.admit, unknownFields: DaemonSet.unknownFieldPaths)

    public mutating func setDefaults() {
        if spec.revisionHistoryLimit == nil { spec.revisionHistoryLimit = 10 }
        if spec.updateStrategy == nil { spec.updateStrategy = ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0]] }
        spec.template.spec.setDefaults()
    }

    public func validate() -> [FieldError] {
        var errors = SelectedTemplate.problems(selector: spec.selector, template: spec.template, kind: "daemonset")
        if spec.template.spec.restartPolicy != "Always" {
            errors.append(.notSupported(FieldPath("spec.template.spec.restartPolicy"), spec.template.spec.restartPolicy ?? "", supported: ["Always"]))
        }
        return errors
    }
}

@FastJSON
public struct DaemonSetSpec: Sendable, Hashable, Codable {
    public var selector: LabelSelector?
    public var template: PodTemplateSpec
    public var updateStrategy: JSONValue?
    public var minReadySeconds: Int32?
    public var revisionHistoryLimit: Int32?
    public var unknownFields = UnknownFields()

    public init(selector: LabelSelector?, template: PodTemplateSpec) {
        self.selector = selector
        self.template = template
    }
}

@FastJSON
public struct DaemonSetStatus: Sendable, Hashable, Codable {
    public var currentNumberScheduled: Int32
    public var numberMisscheduled: Int32
    public var desiredNumberScheduled: Int32
    public var numberReady: Int32
    public var observedGeneration: Int64?
    public var updatedNumberScheduled: Int32?
    public var numberAvailable: Int32?
    public var numberUnavailable: Int32?
    public var unknownFields = UnknownFields()

    public init(currentNumberScheduled: Int32 = 0, numberMisscheduled: Int32 = 0, desiredNumberScheduled: Int32 = 0, numberReady: Int32 = 0) {
        self.currentNumberScheduled = currentNumberScheduled
        self.numberMisscheduled = numberMisscheduled
        self.desiredNumberScheduled = desiredNumberScheduled
        self.numberReady = numberReady
    }
}
