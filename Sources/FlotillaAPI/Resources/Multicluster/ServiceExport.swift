/// multicluster.x-k8s.io/v1alpha1 ServiceExport (the Kubernetes MCS API): marks the Service of the same name and
/// namespace as exported. On the control plane, the service-routing controller reports in `status.conditions`
/// whether the export is valid (`Valid`, reasons `NoService` and `InvalidServiceType`), and the export makes the
/// Service's endpoints flow from the clusters the ServiceExport is propagated to into the clusters the Service is
/// propagated to (a MultiClusterService of the same name decides instead, when there is one).
@FastJSON
public struct ServiceExport: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var status: ServiceExportStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta) { self.metadata = metadata }

    public static let descriptor = ResourceDescriptor(
        group: "multicluster.x-k8s.io", version: "v1alpha1", kind: "ServiceExport", plural: "serviceexports",
        shortNames: ["svcex"], namespaced: true, subresources: ["status"], nameRule: .dns1035Label,
        admit: ServiceExport.admit, unknownFields: ServiceExport.unknownFieldPaths)

    public static let validCondition = "Valid"
}

@FastJSON
public struct ServiceExportStatus: Sendable, Hashable, Codable {
    public var conditions: [Condition]?

    public init(conditions: [Condition]? = nil) { self.conditions = conditions }
}
