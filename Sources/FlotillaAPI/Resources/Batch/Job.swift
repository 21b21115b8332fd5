/// batch/v1 Job: runs pods to completion. Typed where the sites' controller and the federation read it; every
/// other field is kept at its level. Without a selector one is generated from the Job's name
/// (`batch.kubernetes.io/job-name`): Kubernetes keys it by the uid, which Flotilla's store assigns after admission,
/// and a name-keyed selector lets the same Job be admitted on the control plane and on every member.
@FastJSON
public struct Job: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: JobSpec
    public var status: JobStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: JobSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let jobNameLabel = "batch.kubernetes.io/job-name"

    public static let descriptor: ResourceDescriptor = {
        var descriptor = ResourceDescriptor(
            group: "batch", version: "v1", kind: "Job", plural: "jobs", categories: ["all"], namespaced: true, subresources: ["status"],
            builtin: true, admit: Job.admit, unknownFields: Job.unknownFieldPaths)
        descriptor.updateProblems = Job.updateProblems
        return descriptor
    }()

    public mutating func setDefaults() {
        if spec.completions == nil, spec.parallelism == nil { spec.completions = 1 }
        if spec.parallelism == nil { spec.parallelism = 1 }
        if spec.backoffLimit == nil { spec.backoffLimit = 6 }
        if spec.completionMode == nil { spec.completionMode = "NonIndexed" }
        if spec.suspend == nil { spec.suspend = false }
        if spec.selector == nil, let name = metadata.name, !name.isEmpty {
            spec.selector = LabelSelector(matchLabels: [Self.jobNameLabel: name])
            var labels = spec.template.metadata?.labels ?? [:]
            labels[Self.jobNameLabel] = name
            labels["job-name"] = name
            var templateMetadata = spec.template.metadata ?? ObjectMeta()
            templateMetadata.labels = labels
            spec.template.metadata = templateMetadata
        }
        spec.template.spec.setDefaults()
    }

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        for (field, value) in [("parallelism", spec.parallelism), ("completions", spec.completions), ("backoffLimit", spec.backoffLimit)] {
            if let value, value < 0 { errors.append(.invalid(FieldPath("spec").child(field), String(value), "must be greater than or equal to 0")) }
        }
        if let deadline = spec.activeDeadlineSeconds, deadline <= 0 {
            errors.append(.invalid(FieldPath("spec.activeDeadlineSeconds"), String(deadline), "must be greater than 0"))
        }
        if let mode = spec.completionMode, !["NonIndexed", "Indexed"].contains(mode) {
            errors.append(.notSupported(FieldPath("spec.completionMode"), mode, supported: ["NonIndexed", "Indexed"]))
        }
        if spec.completionMode == "Indexed", spec.completions == nil {
            errors.append(.required(FieldPath("spec.completions"), "when completion mode is Indexed"))
        }
        let restart = spec.template.spec.restartPolicy ?? ""
        if !["Never", "OnFailure"].contains(restart) {
            errors.append(.notSupported(FieldPath("spec.template.spec.restartPolicy"), restart, supported: ["OnFailure", "Never"]))
        }
        return errors + SelectedTemplate.problems(selector: spec.selector, template: spec.template, kind: "job")
    }

    /// Kubernetes' rule: a Job's pod template and selector never change once it is created.
    public static func updateProblems(_ new: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        for field in ["template", "selector", "completionMode"] where new["spec"]?[field] != old["spec"]?[field] {
            errors.append(.invalid(FieldPath("spec").child(field), "", "field is immutable"))
        }
        return errors
    }

    public var isFinished: Bool {
        status?.conditions?.contains { ($0.type == "Complete" || $0.type == "Failed") && $0.status == .true } ?? false
    }

    public var succeeded: Bool { status?.conditions?.contains { $0.type == "Complete" && $0.status == .true } ?? false }
}

@FastJSON
public struct JobSpec: Sendable, Hashable, Codable {
    public var parallelism: Int32?
    public var completions: Int32?
    public var activeDeadlineSeconds: Int64?
    public var backoffLimit: Int32?
    public var selector: LabelSelector?
    public var manualSelector: Bool?
    public var template: PodTemplateSpec
    public var ttlSecondsAfterFinished: Int32?
    /// NonIndexed (default) or Indexed.
    public var completionMode: String?
    public var suspend: Bool?
    public var unknownFields = UnknownFields()

    public init(template: PodTemplateSpec, completions: Int32? = nil, parallelism: Int32? = nil) {
        self.template = template
        self.completions = completions
        self.parallelism = parallelism
    }
}

@FastJSON
public struct JobStatus: Sendable, Hashable, Codable {
    public var conditions: [JobCondition]?
    public var startTime: Timestamp?
    public var completionTime: Timestamp?
    public var active: Int32?
    public var succeeded: Int32?
    public var failed: Int32?
    public var ready: Int32?
    /// An Indexed Job's succeeded indexes, as intervals (`0-2,4`).
    public var completedIndexes: String?
    public var unknownFields = UnknownFields()

    public init() {}
}

/// Job conditions have the fields of pod conditions (`lastProbeTime` besides the usual ones).
public typealias JobCondition = PodCondition

extension PodCondition {
    /// A condition that is probed and changes at `time`.
    public init(type: String, status: ConditionStatus, reason: String? = nil, message: String? = nil, at time: Timestamp?) {
        self.init(type: type, status: status, reason: reason, message: message)
        lastProbeTime = time
        lastTransitionTime = time
    }
}
