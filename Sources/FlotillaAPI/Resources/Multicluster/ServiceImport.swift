/// multicluster.x-k8s.io/v1alpha1 ServiceImport: the clusterset's view of an exported service. The control plane's
/// service-routing controller writes one for every routed service (a valid ServiceExport or a MultiClusterService):
/// the Service's ports, and in `status.clusters` the clusters that provide endpoints. It is an output: a write by
/// anyone else is answered with a warning and overwritten on the controller's next pass.
@FastJSON
public struct ServiceImport: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ServiceImportSpec
    public var status: ServiceImportStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: ServiceImportSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "multicluster.x-k8s.io", version: "v1alpha1", kind: "ServiceImport", plural: "serviceimports",
        shortNames: ["svcim"], namespaced: true, subresources: ["status"], nameRule: .dns1035Label,
        admit: ServiceImport.admit, unknownFields: ServiceImport.unknownFieldPaths,
        warnings: { object in
            object["metadata"]?["labels"]?[ServiceImport.managedLabel] == nil
                ? ["ServiceImport is written by Flotilla's service-routing controller from ServiceExports and MultiClusterServices; this object is overwritten or removed on its next pass"]
                : []
        })

    /// Set on the ServiceImports the controller writes.
    public static let managedLabel = "networking.flotilla.io/managed-by"

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let types = ["ClusterSetIP", "Headless"]
        if !types.contains(spec.type) { errors.append(.notSupported(FieldPath("spec.type"), spec.type, supported: types)) }
        for (offset, port) in (spec.ports ?? []).enumerated() where !(1...65535).contains(port.port) {
            errors.append(.invalid(FieldPath("spec.ports").index(offset).child("port"), "\(port.port)", "must be between 1 and 65535, inclusive"))
        }
        return errors
    }
}

@FastJSON
public struct ServiceImportSpec: Sendable, Hashable, Codable {
    public var ips: [String]?
    /// `ClusterSetIP` or `Headless`.
    public var type: String
    public var ports: [ServiceImportPort]?
    public var sessionAffinity: String?
    public var unknownFields = UnknownFields()

    public init(type: String, ports: [ServiceImportPort]?) {
        self.type = type
        self.ports = ports
    }
}

@FastJSON
public struct ServiceImportPort: Sendable, Hashable, Codable {
    public var name: String?
    public var `protocol`: String?
    public var appProtocol: String?
    public var port: Int64

    public init(name: String?, protocol: String?, port: Int64) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
    }
}

@FastJSON
public struct ServiceImportStatus: Sendable, Hashable, Codable {
    public var clusters: [ClusterStatusEntry]?

    public init(clusters: [ClusterStatusEntry]?) { self.clusters = clusters }
}

@FastJSON
public struct ClusterStatusEntry: Sendable, Hashable, Codable {
    public var cluster: String

    public init(cluster: String) { self.cluster = cluster }
}
