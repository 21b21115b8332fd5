/// policy.karmada.io/v1alpha1 ClusterTaintPolicy (Karmada v1.14+): taints that go onto matching clusters when their
/// status conditions match `addOnConditions`, and come off when they match `removeOnConditions`. This is how a
/// NoExecute taint (and so eviction) follows a cluster's health: Karmada never adds NoExecute on its own.
@FastJSON
public struct ClusterTaintPolicy: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ClusterTaintPolicySpec
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: ClusterTaintPolicySpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "policy.karmada.io", version: "v1alpha1", kind: "ClusterTaintPolicy", plural: "clustertaintpolicies",
        categories: ["karmada-io"], namespaced: false, admit: ClusterTaintPolicy.admit, unknownFields: ClusterTaintPolicy.unknownFieldPaths)

    public func validate() -> [FieldError] { spec.validate(path: FieldPath("spec")) }
}

@FastJSON
public struct ClusterTaintPolicySpec: Sendable, Hashable, Codable {
    /// Which clusters the policy applies to; absent means every cluster.
    public var targetClusters: ClusterAffinity?
    /// Every condition must match for the taints to be added.
    public var addOnConditions: [MatchCondition]?
    /// Every condition must match for the taints to be removed.
    public var removeOnConditions: [MatchCondition]?
    public var taints: [PolicyTaint]

    public init(targetClusters: ClusterAffinity? = nil, addOnConditions: [MatchCondition]? = nil,
                removeOnConditions: [MatchCondition]? = nil, taints: [PolicyTaint]) {
        self.targetClusters = targetClusters
        self.addOnConditions = addOnConditions
        self.removeOnConditions = removeOnConditions
        self.taints = taints
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        errors += targetClusters?.validate(path: path.child("targetClusters")) ?? []
        if (addOnConditions ?? []).isEmpty, (removeOnConditions ?? []).isEmpty {
            errors.append(.required(path.child("addOnConditions"), "addOnConditions and removeOnConditions cannot both be empty"))
        }
        for (field, conditions) in [("addOnConditions", addOnConditions), ("removeOnConditions", removeOnConditions)] {
            for (offset, condition) in (conditions ?? []).enumerated() {
                errors += condition.validate(path: path.child(field).index(offset))
            }
        }
        if taints.isEmpty { errors.append(.required(path.child("taints"), "at least one taint is required")) }
        var seen = Set<String>()
        for (offset, taint) in taints.enumerated() {
            let at = path.child("taints").index(offset)
            errors += taint.validate(path: at)
            if !seen.insert("\(taint.key):\(taint.effect)").inserted { errors.append(.duplicate(at, "\(taint.key):\(taint.effect)")) }
        }
        return errors
    }
}

/// `{conditionType, operator, statusValues}`: the cluster's condition of that type has (In) or has not (NotIn) one
/// of the statuses. A cluster without the condition reads as status Unknown, as Karmada's matcher does.
@FastJSON
public struct MatchCondition: Sendable, Hashable, Codable {
    public var conditionType: String
    public var `operator`: String
    public var statusValues: [String]

    public init(conditionType: String, operator: String, statusValues: [String]) {
        self.conditionType = conditionType
        self.operator = `operator`
        self.statusValues = statusValues
    }

    public func matches(_ conditions: [Condition]) -> Bool {
        let status = conditions[type: conditionType]?.status.rawValue ?? ConditionStatus.unknown.rawValue
        let listed = statusValues.contains(status)
        return `operator` == "In" ? listed : !listed
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if conditionType.isEmpty { errors.append(.required(path.child("conditionType"))) }
        if !["In", "NotIn"].contains(`operator`) {
            errors.append(.notSupported(path.child("operator"), `operator`, supported: ["In", "NotIn"]))
        }
        if statusValues.isEmpty { errors.append(.required(path.child("statusValues"), "at least one status value is required")) }
        for (offset, value) in statusValues.enumerated() where ConditionStatus(rawValue: value) == nil {
            errors.append(.notSupported(path.child("statusValues").index(offset), value, supported: ["True", "False", "Unknown"]))
        }
        return errors
    }
}

/// A taint a ClusterTaintPolicy manages: `{key, value, effect}` (the cluster's copy gets `timeAdded`).
@FastJSON
public struct PolicyTaint: Sendable, Hashable, Codable {
    public var key: String
    public var value: String?
    public var effect: String

    public init(key: String, value: String? = nil, effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }

    /// The same taint on a cluster: key, value and effect equal (`timeAdded` aside).
    public func isSame(as taint: Taint) -> Bool { taint.key == key && (taint.value ?? "") == (value ?? "") && taint.effect == effect }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if key.isEmpty { errors.append(.required(path.child("key"))) }
        for problem in NameValidation.qualifiedName(key) where !key.isEmpty { errors.append(.invalid(path.child("key"), key, problem)) }
        if !["NoSchedule", "NoExecute"].contains(effect) {
            errors.append(.notSupported(path.child("effect"), effect, supported: ["NoSchedule", "NoExecute"]))
        }
        if let value, value.count > 63 { errors.append(.invalid(path.child("value"), value, "must be no more than 63 characters")) }
        return errors
    }
}
