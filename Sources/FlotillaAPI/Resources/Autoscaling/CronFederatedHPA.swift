import Foundation

/// autoscaling.karmada.io/v1alpha1 CronFederatedHPA: at the times each rule's cron schedule names, sets its target's
/// replicas (a workload with a scale subresource: `targetReplicas`) or its FederatedHPA's bounds
/// (`targetMinReplicas`, `targetMaxReplicas`). `status.executionHistories` records each rule's runs, kept to the
/// rule's history limits.
@FastJSON
public struct CronFederatedHPA: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: CronFederatedHPASpec
    public var status: CronFederatedHPAStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: CronFederatedHPASpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "autoscaling.karmada.io", version: "v1alpha1", kind: "CronFederatedHPA", plural: "cronfederatedhpas", shortNames: ["cronfhpa"],
        categories: ["karmada-io"], namespaced: true, subresources: ["status"], admit: CronFederatedHPA.admit,
        unknownFields: CronFederatedHPA.unknownFieldPaths)

    /// Whether the target is a FederatedHPA (its bounds change) rather than a workload (its replicas change).
    public var targetsAutoscaler: Bool {
        spec.scaleTargetRef.kind == FederatedHPA.descriptor.kind && spec.scaleTargetRef.apiVersion == FederatedHPA.descriptor.apiVersion
    }

    public mutating func setDefaults() {
        for index in spec.rules.indices {
            if spec.rules[index].suspend == nil { spec.rules[index].suspend = false }
            if spec.rules[index].successfulHistoryLimit == nil { spec.rules[index].successfulHistoryLimit = 3 }
            if spec.rules[index].failedHistoryLimit == nil { spec.rules[index].failedHistoryLimit = 3 }
        }
    }

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let path = FieldPath("spec")
        if spec.scaleTargetRef.name.isEmpty { errors.append(.required(path.child("scaleTargetRef", "name"))) }
        if spec.rules.isEmpty { errors.append(.required(path.child("rules"), "at least one rule")) }
        var names = Set<String>()
        for (offset, rule) in spec.rules.enumerated() {
            let at = path.child("rules").index(offset)
            if rule.name.isEmpty { errors.append(.required(at.child("name"))) } else if !names.insert(rule.name).inserted { errors.append(.duplicate(at.child("name"), rule.name)) }
            do { _ = try CronSchedule(rule.schedule) } catch { errors.append(.invalid(at.child("schedule"), rule.schedule, error.description)) }
            if let zone = rule.timeZone, TimeZone(identifier: zone) == nil { errors.append(.invalid(at.child("timeZone"), zone, "unknown time zone")) }
            if targetsAutoscaler {
                if rule.targetReplicas != nil {
                    errors.append(.forbidden(at.child("targetReplicas"), "a FederatedHPA target takes targetMinReplicas and targetMaxReplicas"))
                }
                if rule.targetMinReplicas == nil, rule.targetMaxReplicas == nil {
                    errors.append(.required(at.child("targetMinReplicas"), "targetMinReplicas or targetMaxReplicas for a FederatedHPA target"))
                }
                if let low = rule.targetMinReplicas, let high = rule.targetMaxReplicas, low > high {
                    errors.append(.invalid(at.child("targetMaxReplicas"), "\(high)", "must be greater than or equal to targetMinReplicas"))
                }
                if let low = rule.targetMinReplicas, low < 1 { errors.append(.invalid(at.child("targetMinReplicas"), "\(low)", "must be at least 1")) }
            } else {
                if rule.targetReplicas == nil { errors.append(.required(at.child("targetReplicas"), "for a workload target")) }
                if rule.targetMinReplicas != nil || rule.targetMaxReplicas != nil {
                    errors.append(.forbidden(at.child("targetMinReplicas"), "bounds apply to a FederatedHPA target only"))
                }
                if let replicas = rule.targetReplicas, replicas < 0 { errors.append(.invalid(at.child("targetReplicas"), "\(replicas)", "must be non-negative")) }
            }
            for (field, limit) in [("successfulHistoryLimit", rule.successfulHistoryLimit), ("failedHistoryLimit", rule.failedHistoryLimit)] {
                if let limit, !(0...32).contains(limit) { errors.append(.invalid(at.child(field), "\(limit)", "must be between 0 and 32")) }
            }
        }
        return errors
    }
}

@FastJSON
public struct CronFederatedHPASpec: Sendable, Hashable, Codable {
    public var scaleTargetRef: CrossVersionObjectReference
    public var rules: [CronFederatedHPARule]
    public var unknownFields = UnknownFields()

    public init(scaleTargetRef: CrossVersionObjectReference, rules: [CronFederatedHPARule]) {
        self.scaleTargetRef = scaleTargetRef
        self.rules = rules
    }
}

@FastJSON
public struct CronFederatedHPARule: Sendable, Hashable, Codable {
    public var name: String
    public var schedule: String
    public var targetReplicas: Int32?
    public var targetMinReplicas: Int32?
    public var targetMaxReplicas: Int32?
    public var suspend: Bool?
    public var timeZone: String?
    public var successfulHistoryLimit: Int32?
    public var failedHistoryLimit: Int32?
    public var unknownFields = UnknownFields()

    public init(name: String, schedule: String, targetReplicas: Int32? = nil) {
        self.name = name
        self.schedule = schedule
        self.targetReplicas = targetReplicas
    }

    public var zone: TimeZone { timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")! }
}

@FastJSON
public struct CronFederatedHPAStatus: Sendable, Hashable, Codable {
    public var executionHistories: [ExecutionHistory]?
    public var unknownFields = UnknownFields()

    public init() {}
}

@FastJSON
public struct ExecutionHistory: Sendable, Hashable, Codable {
    public var ruleName: String
    public var nextExecutionTime: Timestamp?
    public var successfulExecutions: [SuccessfulExecution]?
    public var failedExecutions: [FailedExecution]?
    public var unknownFields = UnknownFields()

    public init(ruleName: String) { self.ruleName = ruleName }
}

@FastJSON
public struct SuccessfulExecution: Sendable, Hashable, Codable {
    public var scheduleTime: Timestamp
    public var executionTime: Timestamp
    public var appliedReplicas: Int32?
    public var appliedMinReplicas: Int32?
    public var appliedMaxReplicas: Int32?
    public var unknownFields = UnknownFields()

    public init(scheduleTime: Timestamp, executionTime: Timestamp) {
        self.scheduleTime = scheduleTime
        self.executionTime = executionTime
    }
}

@FastJSON
public struct FailedExecution: Sendable, Hashable, Codable {
    public var scheduleTime: Timestamp
    public var executionTime: Timestamp
    public var message: String
    public var unknownFields = UnknownFields()

    public init(scheduleTime: Timestamp, executionTime: Timestamp, message: String) {
        self.scheduleTime = scheduleTime
        self.executionTime = executionTime
        self.message = message
    }
}
