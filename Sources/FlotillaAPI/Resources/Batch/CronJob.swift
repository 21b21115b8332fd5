import Foundation

/// batch/v1 CronJob: makes a Job from `jobTemplate` at each time `schedule` names (in `timeZone`, default UTC).
/// Sites run it: a missed time is made up once when it is within `startingDeadlineSeconds`, `concurrencyPolicy`
/// decides what happens while a Job still runs, and finished Jobs beyond the history limits are deleted.
@FastJSON
public struct CronJob: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: CronJobSpec
    public var status: CronJobStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: CronJobSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "batch", version: "v1", kind: "CronJob", plural: "cronjobs", shortNames: ["cj"], categories: ["all"], namespaced: true,
        subresources: ["status"], builtin: true, admit: CronJob.admit, unknownFields: CronJob.unknownFieldPaths)

    static let policies = ["Allow", "Forbid", "Replace"]

    public mutating func setDefaults() {
        if spec.concurrencyPolicy == nil { spec.concurrencyPolicy = "Allow" }
        if spec.suspend == nil { spec.suspend = false }
        if spec.successfulJobsHistoryLimit == nil { spec.successfulJobsHistoryLimit = 3 }
        if spec.failedJobsHistoryLimit == nil { spec.failedJobsHistoryLimit = 1 }
        if spec.jobTemplate.spec.completions == nil, spec.jobTemplate.spec.parallelism == nil { spec.jobTemplate.spec.completions = 1 }
        if spec.jobTemplate.spec.parallelism == nil { spec.jobTemplate.spec.parallelism = 1 }
        if spec.jobTemplate.spec.backoffLimit == nil { spec.jobTemplate.spec.backoffLimit = 6 }
        spec.jobTemplate.spec.template.spec.setDefaults()
    }

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        do { _ = try CronSchedule(spec.schedule) } catch {
            errors.append(.invalid(FieldPath("spec.schedule"), spec.schedule, error.description))
        }
        if let zone = spec.timeZone, TimeZone(identifier: zone) == nil {
            errors.append(.invalid(FieldPath("spec.timeZone"), zone, "unknown time zone"))
        }
        if let policy = spec.concurrencyPolicy, !Self.policies.contains(policy) {
            errors.append(.notSupported(FieldPath("spec.concurrencyPolicy"), policy, supported: Self.policies))
        }
        for (field, value) in [("successfulJobsHistoryLimit", spec.successfulJobsHistoryLimit), ("failedJobsHistoryLimit", spec.failedJobsHistoryLimit)] {
            if let value, value < 0 { errors.append(.invalid(FieldPath("spec").child(field), String(value), "must be greater than or equal to 0")) }
        }
        let restart = spec.jobTemplate.spec.template.spec.restartPolicy ?? ""
        if !["Never", "OnFailure"].contains(restart) {
            errors.append(.notSupported(FieldPath("spec.jobTemplate.spec.template.spec.restartPolicy"), restart, supported: ["OnFailure", "Never"]))
        }
        errors += spec.jobTemplate.spec.template.spec.validate(path: FieldPath("spec.jobTemplate.spec.template.spec"))
        return errors
    }

    /// The time zone the schedule is read in.
    public var zone: TimeZone { spec.timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")! }
}

@FastJSON
public struct CronJobSpec: Sendable, Hashable, Codable {
    public var schedule: String
    public var timeZone: String?
    public var startingDeadlineSeconds: Int64?
    /// Allow (default), Forbid or Replace.
    public var concurrencyPolicy: String?
    public var suspend: Bool?
    public var jobTemplate: JobTemplateSpec
    public var successfulJobsHistoryLimit: Int32?
    public var failedJobsHistoryLimit: Int32?
    public var unknownFields = UnknownFields()

    public init(schedule: String, jobTemplate: JobTemplateSpec) {
        self.schedule = schedule
        self.jobTemplate = jobTemplate
    }
}

@FastJSON
public struct JobTemplateSpec: Sendable, Hashable, Codable {
    public var metadata: ObjectMeta?
    public var spec: JobSpec
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta? = nil, spec: JobSpec) {
        self.metadata = metadata
        self.spec = spec
    }
}

@FastJSON
public struct CronJobStatus: Sendable, Hashable, Codable {
    public var active: [ObjectReference]?
    public var lastScheduleTime: Timestamp?
    public var lastSuccessfulTime: Timestamp?
    public var unknownFields = UnknownFields()

    public init() {}
}
