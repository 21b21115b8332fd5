/// networking.karmada.io/v1alpha1 MultiClusterService: routes calls to the Service of the same name across clusters.
/// With `types: [CrossCluster]` the endpoints of the Service in `providerClusters` (all clusters when empty) are
/// imported into `consumerClusters` (all when empty) as EndpointSlices, restricted to `ports` (all of the Service's
/// when empty). Status: Karmada's `ServiceApplied` condition, Flotilla's `EndpointsDispatched`, and per cluster the
/// ready endpoints it provides and receives (`kubectl get mcs` prints them).
@FastJSON
public struct MultiClusterService: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: MultiClusterServiceSpec
    public var status: MultiClusterServiceStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: MultiClusterServiceSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "networking.karmada.io", version: "v1alpha1", kind: "MultiClusterService", plural: "multiclusterservices",
        shortNames: ["mcs"], categories: ["karmada-io"], namespaced: true, subresources: ["status"], nameRule: .dns1035Label,
        admit: MultiClusterService.admit, unknownFields: MultiClusterService.unknownFieldPaths,
        warnings: MultiClusterService.deprecations)

    public static let appliedCondition = "ServiceApplied"
    public static let dispatchedCondition = "EndpointsDispatched"

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let path = FieldPath("spec")
        if spec.types.isEmpty { errors.append(.required(path.child("types"), "at least one exposure type")) }
        for (offset, type) in spec.types.enumerated() {
            switch type {
            case "CrossCluster": continue
            case "LoadBalancer":
                errors.append(.forbidden(path.child("types").index(offset),
                    "LoadBalancer exposure is not served by Flotilla: it routes CrossCluster calls between sites"))
            default:
                errors.append(.notSupported(path.child("types").index(offset), type, supported: ["CrossCluster", "LoadBalancer"]))
            }
        }
        var ports = Set<Int64>()
        for (offset, port) in (spec.ports ?? []).enumerated() {
            let at = path.child("ports").index(offset)
            if !(1...65535).contains(port.port) { errors.append(.invalid(at.child("port"), "\(port.port)", "must be between 1 and 65535, inclusive")) }
            if !ports.insert(port.port).inserted { errors.append(.duplicate(at.child("port"), "\(port.port)")) }
        }
        for (field, selectors) in [("providerClusters", spec.providerClusters), ("consumerClusters", spec.consumerClusters)] {
            for (offset, selector) in (selectors ?? []).enumerated() where selector.name.isEmpty {
                errors.append(.required(path.child(field).index(offset).child("name")))
            }
        }
        if spec.providerClusters != nil, spec.serviceProvisionClusters != nil {
            errors.append(.forbidden(path.child("serviceProvisionClusters"), "use providerClusters or serviceProvisionClusters, not both"))
        }
        if spec.consumerClusters != nil, spec.serviceConsumptionClusters != nil {
            errors.append(.forbidden(path.child("serviceConsumptionClusters"), "use consumerClusters or serviceConsumptionClusters, not both"))
        }
        return errors
    }

    /// Karmada's older fields still work; a `Warning` says which to use instead.
    static func deprecations(_ object: JSONValue) -> [String] {
        let spec = object["spec"]
        var warnings: [String] = []
        if spec?["range"] != nil { warnings.append("spec.range is deprecated: use spec.providerClusters and spec.consumerClusters") }
        if spec?["serviceProvisionClusters"] != nil { warnings.append("spec.serviceProvisionClusters is deprecated: use spec.providerClusters") }
        if spec?["serviceConsumptionClusters"] != nil { warnings.append("spec.serviceConsumptionClusters is deprecated: use spec.consumerClusters") }
        return warnings
    }

    /// Cluster names the endpoints come from; empty means every cluster.
    public var providers: [String] {
        (spec.providerClusters?.map(\.name) ?? spec.serviceProvisionClusters ?? []) + (spec.range?.clusterNames ?? [])
    }

    /// Cluster names the endpoints go to; empty means every cluster.
    public var consumers: [String] {
        (spec.consumerClusters?.map(\.name) ?? spec.serviceConsumptionClusters ?? []) + (spec.range?.clusterNames ?? [])
    }
}

@FastJSON
public struct MultiClusterServiceSpec: Sendable, Hashable, Codable {
    /// `CrossCluster` (`LoadBalancer` is refused).
    public var types: [String]
    public var ports: [ExposurePort]?
    /// Deprecated: the clusters that both provide and consume.
    public var range: ExposureRange?
    /// Deprecated: `providerClusters`.
    public var serviceProvisionClusters: [String]?
    /// Deprecated: `consumerClusters`.
    public var serviceConsumptionClusters: [String]?
    public var providerClusters: [ClusterSelector]?
    public var consumerClusters: [ClusterSelector]?
    public var unknownFields = UnknownFields()

    public init(types: [String] = ["CrossCluster"], ports: [ExposurePort]? = nil, providerClusters: [ClusterSelector]? = nil,
                consumerClusters: [ClusterSelector]? = nil) {
        self.types = types
        self.ports = ports
        self.providerClusters = providerClusters
        self.consumerClusters = consumerClusters
    }
}

@FastJSON
public struct ExposurePort: Sendable, Hashable, Codable {
    /// Must equal the name of the Service's port, when set.
    public var name: String?
    public var port: Int64

    public init(name: String? = nil, port: Int64) {
        self.name = name
        self.port = port
    }
}

@FastJSON
public struct ExposureRange: Sendable, Hashable, Codable {
    public var clusterNames: [String]?
}

@FastJSON
public struct ClusterSelector: Sendable, Hashable, Codable {
    public var name: String

    public init(name: String) { self.name = name }
}

/// Karmada's status is a core ServiceStatus (`loadBalancer`, `conditions`); Flotilla adds `clusters`.
@FastJSON
public struct MultiClusterServiceStatus: Sendable, Hashable, Codable {
    public var loadBalancer: JSONValue?
    public var conditions: [Condition]?
    /// Per cluster: what it provides and what it receives (Flotilla's addition).
    public var clusters: [RoutedCluster]?
    public var unknownFields = UnknownFields()

    public init(conditions: [Condition]? = nil, clusters: [RoutedCluster]? = nil) {
        self.conditions = conditions
        self.clusters = clusters
    }
}

@FastJSON
public struct RoutedCluster: Sendable, Hashable, Codable {
    public var name: String
    /// Ready endpoints of the Service in this cluster that other clusters receive (providers only).
    public var providedEndpoints: Int?
    /// Ready endpoints imported into this cluster from the others (consumers only).
    public var importedEndpoints: Int?

    public init(name: String, providedEndpoints: Int?, importedEndpoints: Int?) {
        self.name = name
        self.providedEndpoints = providedEndpoints
        self.importedEndpoints = importedEndpoints
    }
}

/// The labels and annotations of service routing, Karmada's where Karmada has one.
public enum ServiceRoutingLabels {
    /// The cluster an imported slice's endpoints live in.
    public static let provisionCluster = "endpointslice.karmada.io/provision-cluster"
    /// `managed-by` of imported slices.
    public static let dispatchController = "endpointslice-dispatch-controller.karmada.io"
    /// The round trip in milliseconds from the consuming site to the providing one, on an imported slice.
    public static let roundTripAnnotation = "networking.flotilla.io/round-trip-ms"
    /// Cilium's service affinity: `local` (the default here), `remote` or `none`.
    public static let affinityAnnotation = "service.cilium.io/affinity"
}
