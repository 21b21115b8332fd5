/// Karmada's `FailoverBehavior` (`PropagationSpec.failover`, copied onto the binding): what happens to a workload
/// when its cluster is tainted NoExecute (`cluster`) or the workload is unhealthy there (`application`).
@FastJSON
public struct FailoverBehavior: Sendable, Hashable, Codable {
    public var application: ApplicationFailoverBehavior?
    public var cluster: ClusterFailoverBehavior?

    public init(application: ApplicationFailoverBehavior? = nil, cluster: ClusterFailoverBehavior? = nil) {
        self.application = application
        self.cluster = cluster
    }

    mutating func setDefaults() {
        application?.setDefaults()
        if cluster != nil, cluster?.purgeMode == nil { cluster?.purgeMode = PurgeMode.gracefully }
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors = application?.validate(path: path.child("application")) ?? []
        if let cluster {
            errors += PurgeMode.validate(cluster.purgeMode, path: path.child("cluster").child("purgeMode"))
            errors += cluster.statePreservation?.validate(path: path.child("cluster").child("statePreservation")) ?? []
        }
        return errors
    }
}

/// How the old copy on a cluster being evicted goes: at once, once the replacements are healthy (or a grace
/// period passed), or never (kept until the cluster recovers or a person removes the task).
public enum PurgeMode {
    public static let directly = "Directly"
    public static let gracefully = "Gracefully"
    public static let never = "Never"
    public static let all = [directly, gracefully, never]

    static func validate(_ mode: String?, path: FieldPath) -> [FieldError] {
        guard let mode, !all.contains(mode) else { return [] }
        return [.notSupported(path, mode, supported: all)]
    }
}

@FastJSON
public struct ApplicationFailoverBehavior: Sendable, Hashable, Codable {
    public var decisionConditions: DecisionConditions?
    public var purgeMode: String?
    /// How long a Gracefully evicted copy may wait for its replacements (Karmada's default 600 s).
    public var gracePeriodSeconds: Int32?
    public var statePreservation: StatePreservation?

    public init(decisionConditions: DecisionConditions? = nil, purgeMode: String? = nil, gracePeriodSeconds: Int32? = nil,
                statePreservation: StatePreservation? = nil) {
        self.decisionConditions = decisionConditions
        self.purgeMode = purgeMode
        self.gracePeriodSeconds = gracePeriodSeconds
        self.statePreservation = statePreservation
    }

    /// Karmada's CRD defaults: toleration 300 s, purge Gracefully with a 600 s grace period.
    mutating func setDefaults() {
        if decisionConditions == nil { decisionConditions = DecisionConditions() }
        if decisionConditions?.tolerationSeconds == nil { decisionConditions?.tolerationSeconds = 300 }
        if purgeMode == nil { purgeMode = PurgeMode.gracefully }
        if purgeMode == PurgeMode.gracefully, gracePeriodSeconds == nil { gracePeriodSeconds = 600 }
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors = PurgeMode.validate(purgeMode, path: path.child("purgeMode"))
        if let seconds = decisionConditions?.tolerationSeconds, seconds < 0 {
            errors.append(.invalid(path.child("decisionConditions").child("tolerationSeconds"), String(seconds), "must be greater than or equal to 0"))
        }
        if let grace = gracePeriodSeconds {
            if grace <= 0 { errors.append(.invalid(path.child("gracePeriodSeconds"), String(grace), "must be greater than 0")) }
            if let mode = purgeMode, mode != PurgeMode.gracefully {
                errors.append(.forbidden(path.child("gracePeriodSeconds"), "only applies when purgeMode is Gracefully"))
            }
        }
        errors += statePreservation?.validate(path: path.child("statePreservation")) ?? []
        return errors
    }
}

@FastJSON
public struct DecisionConditions: Sendable, Hashable, Codable {
    /// How long the workload may stay unhealthy on a cluster before it moves.
    public var tolerationSeconds: Int32?

    public init(tolerationSeconds: Int32? = nil) { self.tolerationSeconds = tolerationSeconds }
}

@FastJSON
public struct ClusterFailoverBehavior: Sendable, Hashable, Codable {
    public var purgeMode: String?
    public var statePreservation: StatePreservation?

    public init(purgeMode: String? = nil, statePreservation: StatePreservation? = nil) {
        self.purgeMode = purgeMode
        self.statePreservation = statePreservation
    }
}

/// State read from the failed copy's status and carried to the new cluster's copy as labels.
@FastJSON
public struct StatePreservation: Sendable, Hashable, Codable {
    public var rules: [StatePreservationRule]

    public init(rules: [StatePreservationRule]) { self.rules = rules }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if rules.isEmpty { errors.append(.required(path.child("rules"), "at least one rule is required")) }
        var aliases = Set<String>()
        for (offset, rule) in rules.enumerated() {
            let at = path.child("rules").index(offset)
            for problem in NameValidation.qualifiedName(rule.aliasLabelName) {
                errors.append(.invalid(at.child("aliasLabelName"), rule.aliasLabelName, problem))
            }
            if !aliases.insert(rule.aliasLabelName).inserted { errors.append(.duplicate(at.child("aliasLabelName"), rule.aliasLabelName)) }
            if StatusPath(rule.jsonPath) == nil {
                errors.append(.invalid(at.child("jsonPath"), rule.jsonPath, "must be a JSONPath such as {.status.replicas} or {.phase}"))
            }
        }
        return errors
    }
}

@FastJSON
public struct StatePreservationRule: Sendable, Hashable, Codable {
    /// The label the value is written to on the new cluster's copy.
    public var aliasLabelName: String
    /// Where the value is read from, in the copy's status as the member reported it (Karmada reads it the same way).
    public var jsonPath: String

    public init(aliasLabelName: String, jsonPath: String) {
        self.aliasLabelName = aliasLabelName
        self.jsonPath = jsonPath
    }
}

/// A `spec.gracefulEvictionTasks[]` entry: a cluster the binding is being evicted from, kept with its old replica
/// count until the eviction completes, so the old copy keeps serving until its replacements run.
@FastJSON
public struct GracefulEvictionTask: Sendable, Hashable, Codable {
    public static let taintManager = "TaintManager"
    public static let applicationFailover = "ResourceBindingApplicationFailoverController"
    public static let reasonTaintUntolerated = "TaintUntolerated"
    public static let reasonApplicationFailure = "ApplicationFailure"

    public var fromCluster: String
    public var purgeMode: String?
    public var replicas: Int32?
    public var reason: String
    public var message: String?
    public var producer: String
    public var gracePeriodSeconds: Int32?
    /// While true the old copy stays whatever else holds (a person or tool clears it).
    public var suppressDeletion: Bool?
    public var preservedLabelState: [String: String]?
    public var clustersBeforeFailover: [String]?
    public var creationTimestamp: Timestamp?

    public init(fromCluster: String, purgeMode: String?, replicas: Int32?, reason: String, message: String? = nil, producer: String,
                gracePeriodSeconds: Int32? = nil, clustersBeforeFailover: [String]? = nil, creationTimestamp: Timestamp?) {
        self.fromCluster = fromCluster
        self.purgeMode = purgeMode
        self.replicas = replicas
        self.reason = reason
        self.message = message
        self.producer = producer
        self.gracePeriodSeconds = gracePeriodSeconds
        self.clustersBeforeFailover = clustersBeforeFailover
        self.creationTimestamp = creationTimestamp
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if fromCluster.isEmpty { errors.append(.required(path.child("fromCluster"))) }
        if reason.isEmpty { errors.append(.required(path.child("reason"))) }
        if producer.isEmpty { errors.append(.required(path.child("producer"))) }
        errors += PurgeMode.validate(purgeMode, path: path.child("purgeMode"))
        if let replicas, replicas < 0 { errors.append(.invalid(path.child("replicas"), String(replicas), "must be greater than or equal to 0")) }
        if let grace = gracePeriodSeconds, grace <= 0 {
            errors.append(.invalid(path.child("gracePeriodSeconds"), String(grace), "must be greater than 0"))
        }
        return errors
    }
}
