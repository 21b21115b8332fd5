/// work.karmada.io/v1alpha1 Work: the manifests to apply to one member, in namespace `karmada-es-<cluster>`.
@FastJSON
public struct Work: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: WorkSpec
    public var status: WorkStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: WorkSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "work.karmada.io", version: "v1alpha1", kind: "Work", plural: "works", shortNames: ["wk"],
        categories: ["karmada-io"], namespaced: true, subresources: ["status"], admit: Work.admit, unknownFields: Work.unknownFieldPaths)

    /// The execution namespace for a member cluster.
    public static func executionNamespace(forCluster cluster: String) -> String { "karmada-es-\(cluster)" }

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        for (offset, manifest) in (spec.workload?.manifests ?? []).enumerated() {
            let at = FieldPath("spec.workload.manifests").index(offset)
            if manifest.objectValue == nil { errors.append(.invalid(at, manifest.typeName, "each manifest must be an object")) }
            else if manifest["apiVersion"]?.stringValue == nil || manifest["kind"]?.stringValue == nil {
                errors.append(.required(at, "each manifest needs apiVersion and kind"))
            }
        }
        return errors
    }
}

@FastJSON
public struct WorkSpec: Sendable, Hashable, Codable {
    public var workload: WorkloadTemplate?
    public var suspendDispatching: Bool?
    public var preserveResourcesOnDeletion: Bool?
    public var unknownFields = UnknownFields()

    public init(manifests: [JSONValue]) { self.workload = WorkloadTemplate(manifests: manifests) }
}

@FastJSON
public struct WorkloadTemplate: Sendable, Hashable, Codable {
    public var manifests: [JSONValue]?

    public init(manifests: [JSONValue]?) { self.manifests = manifests }
}

@FastJSON
public struct WorkStatus: Sendable, Hashable, Codable {
    public var conditions: [Condition]?
    public var manifestStatuses: [ManifestStatus]?
    public var unknownFields = UnknownFields()

    public init() {}
}

@FastJSON
public struct ManifestStatus: Sendable, Hashable, Codable {
    public var identifier: ResourceIdentifier
    public var status: JSONValue?
    public var health: String?

    public init(identifier: ResourceIdentifier, status: JSONValue?, health: String?) {
        self.identifier = identifier
        self.status = status
        self.health = health
    }
}

@FastJSON
public struct ResourceIdentifier: Sendable, Hashable, Codable {
    public var ordinal: Int32
    public var group: String?
    public var version: String
    public var kind: String
    public var resource: String
    public var namespace: String?
    public var name: String

    public init(ordinal: Int32, group: String?, version: String, kind: String, resource: String, namespace: String?, name: String) {
        self.ordinal = ordinal
        self.group = group
        self.version = version
        self.kind = kind
        self.resource = resource
        self.namespace = namespace
        self.name = name
    }
}
