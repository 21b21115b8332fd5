/// Karmada's `Placement`: where a template's replicas may go and how they are divided.
@FastJSON
public struct Placement: Sendable, Hashable, Codable {
    public var clusterAffinity: ClusterAffinity?
    public var clusterAffinities: [ClusterAffinityTerm]?
    public var clusterTolerations: [Toleration]?
    public var spreadConstraints: [SpreadConstraint]?
    public var replicaScheduling: ReplicaSchedulingStrategy?
    public var unknownFields = UnknownFields()

    public init(clusterAffinity: ClusterAffinity? = nil, clusterAffinities: [ClusterAffinityTerm]? = nil,
                clusterTolerations: [Toleration]? = nil, spreadConstraints: [SpreadConstraint]? = nil,
                replicaScheduling: ReplicaSchedulingStrategy? = nil) {
        self.clusterAffinity = clusterAffinity
        self.clusterAffinities = clusterAffinities
        self.clusterTolerations = clusterTolerations
        self.spreadConstraints = spreadConstraints
        self.replicaScheduling = replicaScheduling
    }

    /// The cluster taints Karmada gives a default NoExecute toleration, and for how long.
    public static let defaultTolerationSeconds: Int64 = 300
    public static let notReadyTaintKey = "cluster.karmada.io/not-ready"
    public static let unreachableTaintKey = "cluster.karmada.io/unreachable"

    /// Karmada's `SetDefaultClusterTolerations`: a NoExecute toleration of 300 s for each of the not-ready and
    /// unreachable taints that no toleration already tolerates, so a ClusterTaintPolicy's NoExecute taint does not
    /// evict a workload whose policy never mentions failover the moment a link blips. Karmada's webhook writes them
    /// into the stored policy; Flotilla adds them where the binding is made, so the policy reads back as applied and
    /// `kubectl apply` of the same file stays "unchanged".
    public mutating func setDefaultTolerations() {
        var tolerations = clusterTolerations ?? []
        for key in [Self.notReadyTaintKey, Self.unreachableTaintKey] {
            let taint = Taint(key: key, effect: "NoExecute")
            guard !tolerations.contains(where: { $0.tolerates(taint) }) else { continue }
            tolerations.append(Toleration(key: key, operator: "Exists", effect: "NoExecute", tolerationSeconds: Self.defaultTolerationSeconds))
        }
        clusterTolerations = tolerations
    }

    mutating func setDefaults() {
        spreadConstraints = spreadConstraints?.map { constraint in
            var constraint = constraint
            if constraint.minGroups == nil || constraint.minGroups == 0 { constraint.minGroups = 1 }
            return constraint
        }
    }

    /// Karmada's placement validation (`pkg/util/validation/validation.go`), as summarised in the reference.
    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if clusterAffinity != nil, clusterAffinities != nil {
            errors.append(.invalid(path, "clusterAffinity, clusterAffinities",
                "clusterAffinities can not co-exist with clusterAffinity"))
        }
        errors += clusterAffinity?.validate(path: path.child("clusterAffinity")) ?? []
        var affinityNames = Set<String>()
        for (offset, term) in (clusterAffinities ?? []).enumerated() {
            let at = path.child("clusterAffinities").index(offset)
            errors += term.validate(path: at)
            if !affinityNames.insert(term.affinityName).inserted {
                errors.append(.duplicate(at.child("affinityName"), term.affinityName))
            }
        }
        for (offset, toleration) in (clusterTolerations ?? []).enumerated() {
            errors += toleration.validate(path: path.child("clusterTolerations").index(offset))
        }
        errors += SpreadConstraint.validate(spreadConstraints ?? [], path: path.child("spreadConstraints"))
        errors += replicaScheduling?.validate(path: path.child("replicaScheduling")) ?? []
        return errors
    }
}

/// Which clusters qualify: all set parts must match; `exclude` always wins; empty means every cluster.
@FastJSON
public struct ClusterAffinity: Sendable, Hashable, Codable {
    public var labelSelector: LabelSelector?
    public var fieldSelector: ClusterFieldSelector?
    public var clusterNames: [String]?
    public var exclude: [String]?

    public init(labelSelector: LabelSelector? = nil, fieldSelector: ClusterFieldSelector? = nil,
                clusterNames: [String]? = nil, exclude: [String]? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.clusterNames = clusterNames
        self.exclude = exclude
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors = labelSelector?.validate(path: path.child("labelSelector")) ?? []
        for (offset, requirement) in (fieldSelector?.matchExpressions ?? []).enumerated() {
            let at = path.child("fieldSelector").child("matchExpressions").index(offset)
            if !["provider", "region", "zone"].contains(requirement.key) {
                errors.append(.notSupported(at.child("key"), requirement.key, supported: ["provider", "region", "zone"]))
            }
            if !["In", "NotIn"].contains(requirement.operator) {
                errors.append(.notSupported(at.child("operator"), requirement.operator, supported: ["In", "NotIn"]))
            }
        }
        return errors
    }
}

@FastJSON
public struct ClusterFieldSelector: Sendable, Hashable, Codable {
    public var matchExpressions: [NodeSelectorRequirement]?

    public init(matchExpressions: [NodeSelectorRequirement]?) { self.matchExpressions = matchExpressions }
}

/// `{key, operator, values}` as in core/v1 NodeSelectorRequirement.
@FastJSON
public struct NodeSelectorRequirement: Sendable, Hashable, Codable {
    public var key: String
    public var `operator`: String
    public var values: [String]?

    public init(key: String, operator: String, values: [String]? = nil) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }
}

/// One ordered fallback group of `clusterAffinities`: a name, an inline ClusterAffinity, and overflow tiers.
/// Karmada inlines the affinity's fields, so they are spelled out here.
@FastJSON
public struct ClusterAffinityTerm: Sendable, Hashable, Codable {
    public var affinityName: String
    public var labelSelector: LabelSelector?
    public var fieldSelector: ClusterFieldSelector?
    public var clusterNames: [String]?
    public var exclude: [String]?
    public var overflowAffinities: [OverflowAffinityTerm]?

    public init(affinityName: String, affinity: ClusterAffinity, overflowAffinities: [OverflowAffinityTerm]? = nil) {
        self.affinityName = affinityName
        self.labelSelector = affinity.labelSelector
        self.fieldSelector = affinity.fieldSelector
        self.clusterNames = affinity.clusterNames
        self.exclude = affinity.exclude
        self.overflowAffinities = overflowAffinities
    }

    public var affinity: ClusterAffinity {
        ClusterAffinity(labelSelector: labelSelector, fieldSelector: fieldSelector, clusterNames: clusterNames, exclude: exclude)
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors = affinity.validate(path: path)
        if affinityName.isEmpty || affinityName.count > 32 {
            errors.append(.invalid(path.child("affinityName"), affinityName, "must be 1 to 32 characters"))
        }
        for (offset, overflow) in (overflowAffinities ?? []).enumerated() {
            let at = path.child("overflowAffinities").index(offset)
            errors += overflow.affinity.validate(path: at)
            if overflow.affinityName.isEmpty || overflow.affinityName.count > 32 {
                errors.append(.invalid(at.child("affinityName"), overflow.affinityName, "must be 1 to 32 characters"))
            }
        }
        return errors
    }
}

@FastJSON
public struct OverflowAffinityTerm: Sendable, Hashable, Codable {
    public var affinityName: String
    public var labelSelector: LabelSelector?
    public var fieldSelector: ClusterFieldSelector?
    public var clusterNames: [String]?
    public var exclude: [String]?

    public init(affinityName: String, affinity: ClusterAffinity) {
        self.affinityName = affinityName
        self.labelSelector = affinity.labelSelector
        self.fieldSelector = affinity.fieldSelector
        self.clusterNames = affinity.clusterNames
        self.exclude = affinity.exclude
    }

    public var affinity: ClusterAffinity {
        ClusterAffinity(labelSelector: labelSelector, fieldSelector: fieldSelector, clusterNames: clusterNames, exclude: exclude)
    }
}

/// Spread replicas over groups of clusters (by cluster, region, zone, provider or a label).
@FastJSON
public struct SpreadConstraint: Sendable, Hashable, Codable {
    public var spreadByField: String?
    public var spreadByLabel: String?
    public var maxGroups: Int32?
    public var minGroups: Int32?

    public init(spreadByField: String? = nil, spreadByLabel: String? = nil, maxGroups: Int32? = nil, minGroups: Int32? = nil) {
        self.spreadByField = spreadByField
        self.spreadByLabel = spreadByLabel
        self.maxGroups = maxGroups
        self.minGroups = minGroups
    }

    static let fields = ["cluster", "region", "zone", "provider"]

    static func validate(_ constraints: [SpreadConstraint], path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        var seenFields = Set<String>()
        for (offset, constraint) in constraints.enumerated() {
            let at = path.index(offset)
            let hasField = !(constraint.spreadByField ?? "").isEmpty
            let hasLabel = !(constraint.spreadByLabel ?? "").isEmpty
            if hasField == hasLabel {
                errors.append(.invalid(at, "", "exactly one of spreadByField and spreadByLabel must be set"))
            }
            if let field = constraint.spreadByField, hasField {
                if !fields.contains(field) { errors.append(.notSupported(at.child("spreadByField"), field, supported: fields)) }
                if !seenFields.insert(field).inserted { errors.append(.duplicate(at.child("spreadByField"), field)) }
            }
            if let max = constraint.maxGroups, let min = constraint.minGroups, max > 0, max < min {
                errors.append(.invalid(at.child("maxGroups"), String(max), "maxGroups lower than minGroups is not allowed"))
            }
            if let min = constraint.minGroups, min < 0 {
                errors.append(.invalid(at.child("minGroups"), String(min), "must be greater than or equal to 0"))
            }
        }
        if !seenFields.isEmpty, !seenFields.contains("cluster") {
            errors.append(.invalid(path, "", "the cluster spread constraint must be enabled in one of the constraints in case of SpreadByField is enabled"))
        }
        return errors
    }
}

/// Duplicated or Divided, and for Divided: Aggregated or Weighted (static list or dynamic AvailableReplicas).
@FastJSON
public struct ReplicaSchedulingStrategy: Sendable, Hashable, Codable {
    public var replicaSchedulingType: String?
    public var replicaDivisionPreference: String?
    public var weightPreference: ClusterPreferences?
    /// Flotilla's extension (not in Karmada's schema): options Karmada users ask for; off unless set.
    public var flotilla: FlotillaReplicaOptions?
    public var unknownFields = UnknownFields()

    public init(replicaSchedulingType: String? = nil, replicaDivisionPreference: String? = nil,
                weightPreference: ClusterPreferences? = nil) {
        self.replicaSchedulingType = replicaSchedulingType
        self.replicaDivisionPreference = replicaDivisionPreference
        self.weightPreference = weightPreference
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if let type = replicaSchedulingType, !["Duplicated", "Divided"].contains(type) {
            errors.append(.notSupported(path.child("replicaSchedulingType"), type, supported: ["Duplicated", "Divided"]))
        }
        if let preference = replicaDivisionPreference, !["Aggregated", "Weighted"].contains(preference) {
            errors.append(.notSupported(path.child("replicaDivisionPreference"), preference, supported: ["Aggregated", "Weighted"]))
        }
        if let dynamic = weightPreference?.dynamicWeight, dynamic != "AvailableReplicas" {
            errors.append(.notSupported(path.child("weightPreference").child("dynamicWeight"), dynamic, supported: ["AvailableReplicas"]))
        }
        if let minimum = flotilla?.minReplicasPerCluster, minimum < 0 {
            errors.append(.invalid(path.child("flotilla").child("minReplicasPerCluster"), String(minimum), "must not be negative"))
        }
        for (offset, entry) in (weightPreference?.staticWeightList ?? []).enumerated() {
            let at = path.child("weightPreference").child("staticWeightList").index(offset)
            if entry.weight < 1 { errors.append(.invalid(at.child("weight"), String(entry.weight), "must be greater than or equal to 1")) }
            errors += entry.targetCluster.validate(path: at.child("targetCluster"))
        }
        return errors
    }
}

/// `replicaScheduling.flotilla`: Divided-placement options beyond Karmada.
@FastJSON
public struct FlotillaReplicaOptions: Sendable, Hashable, Codable {
    /// Every selected cluster gets at least this many replicas (while the request lasts), the rest divided as usual.
    public var minReplicasPerCluster: Int32?
    /// Static weights, but no cluster gets more than fits (the general estimator); the excess goes to the others.
    public var capacityAwareStaticWeights: Bool?
    public var unknownFields = UnknownFields()

    public init(minReplicasPerCluster: Int32? = nil, capacityAwareStaticWeights: Bool? = nil) {
        self.minReplicasPerCluster = minReplicasPerCluster
        self.capacityAwareStaticWeights = capacityAwareStaticWeights
    }
}

@FastJSON
public struct ClusterPreferences: Sendable, Hashable, Codable {
    public var staticWeightList: [StaticClusterWeight]?
    public var dynamicWeight: String?

    public init(staticWeightList: [StaticClusterWeight]? = nil, dynamicWeight: String? = nil) {
        self.staticWeightList = staticWeightList
        self.dynamicWeight = dynamicWeight
    }
}

@FastJSON
public struct StaticClusterWeight: Sendable, Hashable, Codable {
    public var targetCluster: ClusterAffinity
    public var weight: Int64

    public init(targetCluster: ClusterAffinity, weight: Int64) {
        self.targetCluster = targetCluster
        self.weight = weight
    }
}
