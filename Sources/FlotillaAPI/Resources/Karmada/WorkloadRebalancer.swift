/// apps.karmada.io/v1alpha1 WorkloadRebalancer (cluster-scoped): asks for a fresh placement of the listed workloads,
/// ignoring where they run now, e.g. to bring them back to their preferred clusters after a failover. The controller
/// sets `rescheduleTriggeredAt` on each workload's binding and reports per workload in `status.observedWorkloads`.
@FastJSON
public struct WorkloadRebalancer: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: WorkloadRebalancerSpec
    public var status: WorkloadRebalancerStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: WorkloadRebalancerSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "apps.karmada.io", version: "v1alpha1", kind: "WorkloadRebalancer", plural: "workloadrebalancers",
        categories: ["karmada-io"], namespaced: false, subresources: ["status"],
        admit: WorkloadRebalancer.admit, unknownFields: WorkloadRebalancer.unknownFieldPaths)

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let path = FieldPath("spec")
        if spec.workloads.isEmpty { errors.append(.required(path.child("workloads"), "at least one workload is required")) }
        var seen = Set<WorkloadReference>()
        for (offset, workload) in spec.workloads.enumerated() {
            let at = path.child("workloads").index(offset)
            if workload.apiVersion.isEmpty { errors.append(.required(at.child("apiVersion"))) }
            if workload.kind.isEmpty { errors.append(.required(at.child("kind"))) }
            if workload.name.isEmpty { errors.append(.required(at.child("name"))) }
            if !seen.insert(workload).inserted { errors.append(.duplicate(at, "\(workload.kind)/\(workload.name)")) }
        }
        if let ttl = spec.ttlSecondsAfterFinished, ttl < 0 {
            errors.append(.invalid(path.child("ttlSecondsAfterFinished"), String(ttl), "must be greater than or equal to 0"))
        }
        return errors
    }
}

@FastJSON
public struct WorkloadRebalancerSpec: Sendable, Hashable, Codable {
    public var workloads: [WorkloadReference]
    /// Deleted this long after every workload got a result; absent keeps it.
    public var ttlSecondsAfterFinished: Int32?

    public init(workloads: [WorkloadReference], ttlSecondsAfterFinished: Int32? = nil) {
        self.workloads = workloads
        self.ttlSecondsAfterFinished = ttlSecondsAfterFinished
    }
}

@FastJSON
public struct WorkloadRebalancerStatus: Sendable, Hashable, Codable {
    public var observedWorkloads: [ObservedWorkload]?
    public var observedGeneration: Int64?
    public var finishTime: Timestamp?

    public init() {}
}

@FastJSON
public struct ObservedWorkload: Sendable, Hashable, Codable {
    public var workload: WorkloadReference
    /// `Successful` or `Failed`.
    public var result: String?
    /// Why it failed: `ReferencedBindingNotFound`.
    public var reason: String?

    public init(workload: WorkloadReference, result: String?, reason: String? = nil) {
        self.workload = workload
        self.result = result
        self.reason = reason
    }
}

/// Karmada's `ObjectReference` for rebalancing: a template by apiVersion, kind, namespace (for namespaced kinds) and
/// name.
@FastJSON
public struct WorkloadReference: Sendable, Hashable, Codable {
    public var apiVersion: String
    public var kind: String
    public var namespace: String?
    public var name: String

    public init(apiVersion: String, kind: String, namespace: String?, name: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }
}
