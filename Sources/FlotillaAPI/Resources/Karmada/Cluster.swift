/// cluster.karmada.io/v1alpha1 Cluster: a member cluster (an edge site) and what is known of it.
@FastJSON
public struct Cluster: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ClusterSpec
    public var status: ClusterStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: ClusterSpec, status: ClusterStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public static let descriptor = ResourceDescriptor(
        group: "cluster.karmada.io", version: "v1alpha1", kind: "Cluster", plural: "clusters",
        categories: ["karmada-io"], namespaced: false, subresources: ["status"],
        selectableFields: ["spec.provider", "spec.region", "spec.zone"],
        fieldLabels: { cluster in
            [
                "spec.provider": cluster["spec"]?["provider"]?.stringValue ?? "",
                "spec.region": cluster["spec"]?["region"]?.stringValue ?? "",
                "spec.zone": cluster["spec"]?["zone"]?.stringValue ?? "",
            ]
        },
        admit: Cluster.admit, unknownFields: Cluster.unknownFieldPaths)

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if let name = metadata.name, name.count > 48 {
            errors.append(.invalid(FieldPath("metadata.name"), name, "must be no more than 48 characters"))
        }
        switch spec.syncMode {
        case "Push", "Pull": break
        case "": errors.append(.required(FieldPath("spec.syncMode")))
        default: errors.append(.notSupported(FieldPath("spec.syncMode"), spec.syncMode, supported: ["Push", "Pull"]))
        }
        if let endpoint = spec.apiEndpoint, !endpoint.isEmpty, !(endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://")) {
            errors.append(.invalid(FieldPath("spec.apiEndpoint"), endpoint, "must be an http(s) URL"))
        }
        for (offset, taint) in (spec.taints ?? []).enumerated() {
            let at = FieldPath("spec.taints").index(offset)
            for problem in NameValidation.qualifiedName(taint.key) { errors.append(.invalid(at.child("key"), taint.key, problem)) }
            if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(taint.effect) {
                errors.append(.notSupported(at.child("effect"), taint.effect, supported: ["NoSchedule", "PreferNoSchedule", "NoExecute"]))
            }
        }
        return errors
    }

    /// `Ready` is True.
    public var isReady: Bool { status?.conditions?[type: "Ready"]?.status == .true }
}

@FastJSON
public struct ClusterSpec: Sendable, Hashable, Codable {
    public var id: String?
    public var syncMode: String
    public var apiEndpoint: String?
    public var secretRef: LocalSecretReference?
    public var impersonatorSecretRef: LocalSecretReference?
    public var insecureSkipTLSVerification: Bool?
    public var proxyURL: String?
    public var proxyHeader: [String: String]?
    public var provider: String?
    public var region: String?
    public var zone: String?
    public var zones: [String]?
    public var taints: [Taint]?
    public var resourceModels: [JSONValue]?
    public var unknownFields = UnknownFields()

    public init(syncMode: String = "Push", apiEndpoint: String? = nil, provider: String? = nil, region: String? = nil,
                zones: [String]? = nil, taints: [Taint]? = nil) {
        self.syncMode = syncMode
        self.apiEndpoint = apiEndpoint
        self.provider = provider
        self.region = region
        self.zones = zones
        self.taints = taints
    }

    /// Zones from `zones`, falling back to the deprecated single `zone`.
    public var allZones: [String] { zones ?? zone.map { [$0] } ?? [] }
}

@FastJSON
public struct LocalSecretReference: Sendable, Hashable, Codable {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }
}

@FastJSON
public struct ClusterStatus: Sendable, Hashable, Codable {
    public var kubernetesVersion: String?
    public var apiEnablements: [APIEnablement]?
    public var conditions: [Condition]?
    public var nodeSummary: NodeSummary?
    public var resourceSummary: ResourceSummary?
    public var remedyActions: [String]?
    public var unknownFields = UnknownFields()

    public init() {}
}

@FastJSON
public struct APIEnablement: Sendable, Hashable, Codable {
    public var groupVersion: String
    public var resources: [APIResource]?

    public init(groupVersion: String, resources: [APIResource]?) {
        self.groupVersion = groupVersion
        self.resources = resources
    }
}

@FastJSON
public struct APIResource: Sendable, Hashable, Codable {
    public var name: String
    public var kind: String

    public init(name: String, kind: String) {
        self.name = name
        self.kind = kind
    }
}

@FastJSON
public struct NodeSummary: Sendable, Hashable, Codable {
    public var totalNum: Int32?
    public var readyNum: Int32?

    public init(totalNum: Int32?, readyNum: Int32?) {
        self.totalNum = totalNum
        self.readyNum = readyNum
    }
}

/// Allocatable, allocated (bound pods' requests) and allocating (pending pods' requests) resources of a cluster.
@FastJSON
public struct ResourceSummary: Sendable, Hashable, Codable {
    public var allocatable: [String: Quantity]?
    public var allocating: [String: Quantity]?
    public var allocated: [String: Quantity]?
    public var allocatableModelings: [AllocatableModeling]?

    public init(allocatable: [String: Quantity]? = nil, allocating: [String: Quantity]? = nil,
                allocated: [String: Quantity]? = nil) {
        self.allocatable = allocatable
        self.allocating = allocating
        self.allocated = allocated
    }
}

@FastJSON
public struct AllocatableModeling: Sendable, Hashable, Codable {
    public var grade: Int32
    public var count: Int32
}
