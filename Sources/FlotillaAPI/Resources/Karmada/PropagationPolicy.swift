/// policy.karmada.io/v1alpha1 PropagationPolicy: which templates in its namespace go to which clusters, and how.
@FastJSON
public struct PropagationPolicy: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PropagationSpec
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: PropagationSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "policy.karmada.io", version: "v1alpha1", kind: "PropagationPolicy", plural: "propagationpolicies",
        shortNames: ["pp"], categories: ["karmada-io"], namespaced: true, admit: PropagationPolicy.admit, unknownFields: PropagationPolicy.unknownFieldPaths,
        warnings: { PropagationSpec.unpropagatedKinds($0, clusterScoped: false) })

    public mutating func setDefaults() { spec.setDefaults() }
    public func validate() -> [FieldError] { spec.validate(path: FieldPath("spec")) }
}

/// policy.karmada.io/v1alpha1 ClusterPropagationPolicy: the cluster-scoped form, for templates in any namespace.
@FastJSON
public struct ClusterPropagationPolicy: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PropagationSpec
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: PropagationSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "policy.karmada.io", version: "v1alpha1", kind: "ClusterPropagationPolicy",
        plural: "clusterpropagationpolicies", shortNames: ["cpp"], categories: ["karmada-io"], namespaced: false,
        admit: ClusterPropagationPolicy.admit, unknownFields: ClusterPropagationPolicy.unknownFieldPaths,
        warnings: { PropagationSpec.unpropagatedKinds($0, clusterScoped: true) })

    public mutating func setDefaults() { spec.setDefaults() }
    public func validate() -> [FieldError] { spec.validate(path: FieldPath("spec")) }
}

extension PropagationSpec {
    /// A `Warning` for each resource selector naming a kind Flotilla does not propagate (Karmada YAML that selects,
    /// say, StatefulSets still applies, and says why nothing happens for them). A kind of a group a
    /// CustomResourceDefinition may define (a domain outside `*.k8s.io` that no built-in kind uses) is a custom
    /// resource and propagates once its CRD is served.
    public static func unpropagatedKinds(_ policy: JSONValue, clusterScoped: Bool) -> [String] {
        let kinds = ResourceRegistry.templateKinds + (clusterScoped ? ResourceRegistry.clusterTemplateKinds : [])
        let names = kinds.map { "\($0.apiVersion) \($0.kind)" }.joined(separator: ", ")
        return (policy["spec"]?["resourceSelectors"]?.arrayValue ?? []).enumerated().compactMap { offset, selector in
            let apiVersion = selector["apiVersion"]?.stringValue ?? "", kind = selector["kind"]?.stringValue ?? ""
            guard !kinds.contains(where: { $0.apiVersion == apiVersion && $0.kind == kind }) else { return nil }
            if isCustomGroup(GroupVersion(apiVersion: apiVersion)?.group ?? "") { return nil }
            if !clusterScoped, ResourceRegistry.clusterTemplateKinds.contains(where: { $0.apiVersion == apiVersion && $0.kind == kind }) {
                return "spec.resourceSelectors[\(offset)]: \(kind) is cluster-scoped: a PropagationPolicy selects namespaced templates only; use a ClusterPropagationPolicy"
            }
            return "spec.resourceSelectors[\(offset)]: Flotilla does not propagate \(apiVersion) \(kind) (yet); it propagates \(names)"
        }
    }
}

extension PropagationSpec {
    /// Whether a CustomResourceDefinition may define kinds of the group: it has a dot, is not reserved for
    /// Kubernetes (`*.k8s.io`, `*.kubernetes.io`), and no built-in kind of Flotilla's uses it.
    static func isCustomGroup(_ group: String) -> Bool {
        guard group.contains("."), !group.hasSuffix(".k8s.io"), !group.hasSuffix(".kubernetes.io") else { return false }
        return !(ResourceRegistry.controlPlane.descriptors + ResourceRegistry.memberCluster.descriptors).contains { $0.group == group }
    }
}

/// Karmada's `PropagationSpec`, field for field.
@FastJSON
public struct PropagationSpec: Sendable, Hashable, Codable {
    public var resourceSelectors: [ResourceSelector]
    public var propagateDeps: Bool?
    public var placement: Placement?
    public var priority: Int32?
    public var preemption: String?
    public var dependentOverrides: [String]?
    public var schedulerName: String?
    public var failover: FailoverBehavior?
    public var conflictResolution: String?
    public var activationPreference: String?
    public var suspension: Suspension?
    public var preserveResourcesOnDeletion: Bool?
    public var schedulePriority: SchedulePriority?
    public var unknownFields = UnknownFields()

    public init(resourceSelectors: [ResourceSelector], placement: Placement? = nil) {
        self.resourceSelectors = resourceSelectors
        self.placement = placement
    }

    /// Karmada's CRD defaults: priority 0, preemption Never, conflictResolution Abort, the default scheduler,
    /// and minGroups 1 on spread constraints. (Its webhook's default NoExecute tolerations go onto the binding's
    /// placement instead: `Placement.setDefaultTolerations`.)
    mutating func setDefaults() {
        if priority == nil { priority = 0 }
        if preemption == nil { preemption = "Never" }
        if conflictResolution == nil { conflictResolution = "Abort" }
        if schedulerName == nil { schedulerName = "default-scheduler" }
        placement?.setDefaults()
        failover?.setDefaults()
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if resourceSelectors.isEmpty {
            errors.append(.required(path.child("resourceSelectors"), "at least one resource selector is required"))
        }
        for (offset, selector) in resourceSelectors.enumerated() {
            errors += selector.validate(path: path.child("resourceSelectors").index(offset))
        }
        if let preemption, !["Always", "Never"].contains(preemption) {
            errors.append(.notSupported(path.child("preemption"), preemption, supported: ["Always", "Never"]))
        }
        if let conflictResolution, !["Abort", "Overwrite"].contains(conflictResolution) {
            errors.append(.notSupported(path.child("conflictResolution"), conflictResolution, supported: ["Abort", "Overwrite"]))
        }
        if let activationPreference, activationPreference != "Lazy" {
            errors.append(.notSupported(path.child("activationPreference"), activationPreference, supported: ["Lazy"]))
        }
        if let suspension, suspension.dispatching == true, suspension.dispatchingOnClusters != nil {
            errors.append(.invalid(path.child("suspension"), "dispatching, dispatchingOnClusters",
                "dispatching and dispatchingOnClusters are mutually exclusive"))
        }
        if let schedulePriority {
            // Karmada resolves only KubePriorityClass today; the other sources are refused rather than ignored.
            if schedulePriority.priorityClassSource != "KubePriorityClass" {
                errors.append(.notSupported(path.child("schedulePriority.priorityClassSource"), schedulePriority.priorityClassSource,
                    supported: ["KubePriorityClass"]))
            }
            if schedulePriority.priorityClassName.isEmpty { errors.append(.required(path.child("schedulePriority.priorityClassName"))) }
        }
        errors += placement?.validate(path: path.child("placement")) ?? []
        errors += failover?.validate(path: path.child("failover")) ?? []
        return errors
    }
}

/// Where a policy's bindings stand in the scheduling queue: the value of the named PriorityClass.
@FastJSON
public struct SchedulePriority: Sendable, Hashable, Codable {
    /// `KubePriorityClass` (a scheduling.k8s.io/v1 PriorityClass on the control plane).
    public var priorityClassSource: String
    public var priorityClassName: String
    public var unknownFields = UnknownFields()

    public init(priorityClassSource: String = "KubePriorityClass", priorityClassName: String) {
        self.priorityClassSource = priorityClassSource
        self.priorityClassName = priorityClassName
    }
}

/// Selects resource templates by apiVersion and kind, and optionally namespace, name or labels.
@FastJSON
public struct ResourceSelector: Sendable, Hashable, Codable {
    public var apiVersion: String
    public var kind: String
    public var namespace: String?
    public var name: String?
    public var labelSelector: LabelSelector?

    public init(apiVersion: String, kind: String, namespace: String? = nil, name: String? = nil,
                labelSelector: LabelSelector? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.labelSelector = labelSelector
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if apiVersion.isEmpty { errors.append(.required(path.child("apiVersion"))) }
        else if GroupVersion(apiVersion: apiVersion) == nil {
            errors.append(.invalid(path.child("apiVersion"), apiVersion, "must be <group>/<version> or <version>"))
        }
        if kind.isEmpty { errors.append(.required(path.child("kind"))) }
        errors += labelSelector?.validate(path: path.child("labelSelector")) ?? []
        return errors
    }
}

@FastJSON
public struct Suspension: Sendable, Hashable, Codable {
    public var dispatching: Bool?
    public var dispatchingOnClusters: SuspendClusters?
    public var unknownFields = UnknownFields()
}

@FastJSON
public struct SuspendClusters: Sendable, Hashable, Codable {
    public var clusterNames: [String]?
}
