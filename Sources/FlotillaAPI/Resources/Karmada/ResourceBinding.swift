/// work.karmada.io/v1alpha2 ResourceBinding: one template's scheduling request and result.
@FastJSON
public struct ResourceBinding: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ResourceBindingSpec
    public var status: ResourceBindingStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: ResourceBindingSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "work.karmada.io", version: "v1alpha2", kind: "ResourceBinding", plural: "resourcebindings",
        shortNames: ["rb"], categories: ["karmada-io"], namespaced: true, subresources: ["status"],
        admit: ResourceBinding.admit, unknownFields: ResourceBinding.unknownFieldPaths)

    public func validate() -> [FieldError] { spec.validate(path: FieldPath("spec")) }

    /// The two binding kinds: a namespaced template's ResourceBinding, a cluster-scoped one's ClusterResourceBinding.
    /// Their keys never collide: a ClusterResourceBinding's is `/<name>`.
    public static let kinds = [ResourceBinding.descriptor, ClusterResourceBinding.descriptor]

    /// Karmada's binding name for a template: `<name>-<kind>`, lower-cased, with the `:` some names carry
    /// (`system:aggregate-to-view` ClusterRoles) made `.`, so the binding's name is a DNS subdomain.
    public static func name(forTemplate name: String, kind: String) -> String {
        "\(name.replacingOccurrences(of: ":", with: "."))-\(kind)".lowercased()
    }

    /// The binding kind of a stored binding (by its `kind`, or its key's empty namespace).
    public static func descriptor(of binding: JSONValue) -> ResourceDescriptor {
        binding.kind == ClusterResourceBinding.descriptor.kind ? ClusterResourceBinding.descriptor : ResourceBinding.descriptor
    }

    public static func descriptor(ofKey key: String) -> ResourceDescriptor {
        key.hasPrefix("/") ? ClusterResourceBinding.descriptor : ResourceBinding.descriptor
    }

    /// Whether this (decoded) binding is a ClusterResourceBinding.
    public var isClusterScoped: Bool { kind == ClusterResourceBinding.descriptor.kind }
}

/// work.karmada.io/v1alpha2 ClusterResourceBinding: the binding of a cluster-scoped template.
@FastJSON
public struct ClusterResourceBinding: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ResourceBindingSpec
    public var status: ResourceBindingStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: ResourceBindingSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "work.karmada.io", version: "v1alpha2", kind: "ClusterResourceBinding", plural: "clusterresourcebindings",
        shortNames: ["crb"], categories: ["karmada-io"], namespaced: false, subresources: ["status"],
        admit: ClusterResourceBinding.admit, unknownFields: ClusterResourceBinding.unknownFieldPaths)

    /// The same binding as a ClusterResourceBinding (the controllers work on `ResourceBinding` values of both kinds).
    public init(_ binding: ResourceBinding) {
        self.init(metadata: binding.metadata, spec: binding.spec)
        metadata.namespace = nil
        status = binding.status
        unknownFields = binding.unknownFields
    }

    public func validate() -> [FieldError] { spec.validate(path: FieldPath("spec")) }
}

@FastJSON
public struct ResourceBindingSpec: Sendable, Hashable, Codable {
    public var resource: ObjectReference
    public var propagateDeps: Bool?
    public var replicaRequirements: ReplicaRequirements?
    public var replicas: Int32?
    public var clusters: [TargetCluster]?
    public var placement: Placement?
    public var gracefulEvictionTasks: [GracefulEvictionTask]?
    public var requiredBy: [JSONValue]?
    public var schedulerName: String?
    public var failover: FailoverBehavior?
    public var conflictResolution: String?
    public var rescheduleTriggeredAt: Timestamp?
    public var suspension: JSONValue?
    public var preserveResourcesOnDeletion: Bool?
    public var schedulePriority: JSONValue?
    public var unknownFields = UnknownFields()

    public init(resource: ObjectReference, replicas: Int32? = nil, placement: Placement? = nil) {
        self.resource = resource
        self.replicas = replicas
        self.placement = placement
    }

    /// Clusters the binding is being evicted from (`gracefulEvictionTasks`): the scheduler keeps them out.
    public var evictingClusters: Set<String> { Set((gracefulEvictionTasks ?? []).map(\.fromCluster)) }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if resource.kind?.isEmpty ?? true { errors.append(.required(path.child("resource").child("kind"))) }
        if resource.name?.isEmpty ?? true { errors.append(.required(path.child("resource").child("name"))) }
        if let replicas, replicas < 0 {
            errors.append(.invalid(path.child("replicas"), String(replicas), "must be greater than or equal to 0"))
        }
        var names = Set<String>(minimumCapacity: clusters?.count ?? 0)
        // The path is built only for an error: a Duplicated result lists hundreds of clusters.
        func at(_ offset: Int) -> FieldPath { path.child("clusters").index(offset) }
        for (offset, target) in (clusters ?? []).enumerated() {
            if !names.insert(target.name).inserted { errors.append(.duplicate(at(offset).child("name"), target.name)) }
            if let r = target.replicas, r < 0 { errors.append(.invalid(at(offset).child("replicas"), String(r), "must be greater than or equal to 0")) }
        }
        errors += placement?.validate(path: path.child("placement")) ?? []
        errors += failover?.validate(path: path.child("failover")) ?? []
        var evicting = Set<String>()
        for (offset, task) in (gracefulEvictionTasks ?? []).enumerated() {
            let at = path.child("gracefulEvictionTasks").index(offset)
            errors += task.validate(path: at)
            if !evicting.insert(task.fromCluster).inserted { errors.append(.duplicate(at.child("fromCluster"), task.fromCluster)) }
        }
        return errors
    }
}

@FastJSON
public struct ReplicaRequirements: Sendable, Hashable, Codable {
    public var nodeClaim: JSONValue?
    public var resourceRequest: [String: Quantity]?
    public var namespace: String?
    public var priorityClassName: String?

    public init(resourceRequest: [String: Quantity]?) { self.resourceRequest = resourceRequest }
}

@FastJSON
public struct TargetCluster: Sendable, Hashable, Codable {
    public var name: String
    public var replicas: Int32?

    public init(name: String, replicas: Int32?) {
        self.name = name
        self.replicas = replicas
    }

    /// Written as one JSON value (decoding stays synthesized): a Duplicated result lists hundreds of these, and the
    /// generic keyed path, a container and an allocation per field, was ~6 % of the scheduling loop's CPU.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(jsonValue)
    }

    /// The encoded form, for writers that build a list of hundreds without an encoder (the scheduling loop).
    public var jsonValue: JSONValue {
        .object(replicas.map { ["name": .string(name), "replicas": .integer(Int64($0))] } ?? ["name": .string(name)])
    }
}

@FastJSON
public struct ResourceBindingStatus: Sendable, Hashable, Codable {
    public var schedulerObservedGeneration: Int64?
    public var schedulerObservingAffinityName: String?
    public var lastScheduledTime: Timestamp?
    public var conditions: [Condition]?
    public var aggregatedStatus: [AggregatedStatusItem]?
    public var unknownFields = UnknownFields()

    public init() {}
}

@FastJSON
public struct AggregatedStatusItem: Sendable, Hashable, Codable {
    public var clusterName: String
    public var status: JSONValue?
    public var applied: Bool?
    public var appliedMessage: String?
    public var health: String?

    public init(clusterName: String, status: JSONValue?, applied: Bool?, appliedMessage: String? = nil, health: String? = nil) {
        self.clusterName = clusterName
        self.status = status
        self.applied = applied
        self.appliedMessage = appliedMessage
        self.health = health
    }
}
