/// apiextensions.k8s.io/v1 CustomResourceDefinition: a kind the user adds to a server. Every served version
/// becomes a `ResourceDescriptor` (`servedDescriptors`): discovery lists it, its objects are pruned, defaulted and
/// checked against the version's structural schema, its status and scale subresources and printer columns work.
/// Versions convert with `None` only (the apiVersion changes, nothing else); a conversion webhook is refused.
public struct CustomResourceDefinition: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor: ResourceDescriptor = {
        var descriptor = ResourceDescriptor(
            group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions",
            shortNames: ["crd", "crds"], categories: ["api-extensions"], namespaced: false, subresources: ["status"], builtin: true,
            admit: CustomResourceDefinition.admit, unknownFields: CustomResourceDefinition.unknownFieldPaths,
            warnings: { object in (try? CustomResourceDefinition(json: object))?.warnings() ?? [] })
        descriptor.updateProblems = CustomResourceDefinition.updateProblems
        return descriptor
    }()

    public struct Spec: Sendable, Hashable, Codable {
        public var group: String
        public var names: Names
        /// `Namespaced` or `Cluster`.
        public var scope: String
        public var versions: [Version]
        public var conversion: Conversion?
        /// Must be false in v1 (pruning is always on).
        public var preserveUnknownFields: Bool?
        public var unknownFields = UnknownFields()

        public init(group: String, names: Names, scope: String, versions: [Version]) {
            self.group = group
            self.names = names
            self.scope = scope
            self.versions = versions
        }
    }

    public struct Names: Sendable, Hashable, Codable {
        public var plural: String
        public var singular: String?
        public var kind: String
        public var listKind: String?
        public var shortNames: [String]?
        public var categories: [String]?
        public var unknownFields = UnknownFields()

        public init(plural: String, singular: String? = nil, kind: String, shortNames: [String]? = nil) {
            self.plural = plural
            self.singular = singular
            self.kind = kind
            self.shortNames = shortNames
        }
    }

    public struct Version: Sendable, Hashable, Codable {
        public var name: String
        public var served: Bool
        public var storage: Bool
        public var deprecated: Bool?
        public var deprecationWarning: String?
        public var schema: Validation?
        public var subresources: Subresources?
        public var additionalPrinterColumns: [PrinterColumn]?
        public var selectableFields: [SelectableField]?
        public var unknownFields = UnknownFields()

        public init(name: String, served: Bool = true, storage: Bool = true, schema: JSONValue) {
            self.name = name
            self.served = served
            self.storage = storage
            self.schema = Validation(openAPIV3Schema: schema)
        }
    }

    public struct Validation: Sendable, Hashable, Codable {
        public var openAPIV3Schema: JSONValue?
        public var unknownFields = UnknownFields()

        public init(openAPIV3Schema: JSONValue?) { self.openAPIV3Schema = openAPIV3Schema }
    }

    public struct Subresources: Sendable, Hashable, Codable {
        /// Present (an empty object) to enable `/status`.
        public var status: JSONValue?
        public var scale: ScaleSubresource?
        public var unknownFields = UnknownFields()
    }

    public struct SelectableField: Sendable, Hashable, Codable {
        public var jsonPath: String
        public var unknownFields = UnknownFields()
    }

    public struct Conversion: Sendable, Hashable, Codable {
        /// `None` (default) or `Webhook` (refused: Flotilla calls no conversion webhooks).
        public var strategy: String
        public var webhook: JSONValue?
        public var unknownFields = UnknownFields()
    }

    public struct Status: Sendable, Hashable, Codable {
        public var conditions: [Condition]?
        public var acceptedNames: Names?
        public var storedVersions: [String]?
        public var unknownFields = UnknownFields()

        public init(conditions: [Condition]? = nil, acceptedNames: Names? = nil, storedVersions: [String]? = nil) {
            self.conditions = conditions
            self.acceptedNames = acceptedNames
            self.storedVersions = storedVersions
        }
    }

    public mutating func setDefaults() {
        if spec.names.singular?.isEmpty ?? true { spec.names.singular = spec.names.kind.lowercased() }
        if spec.names.listKind?.isEmpty ?? true { spec.names.listKind = spec.names.kind + "List" }
        if spec.conversion == nil { spec.conversion = Conversion(strategy: "None") }
    }

    /// The version objects are stored at.
    public var storageVersion: String? { spec.versions.first { $0.storage }?.name }
    public var isNamespaced: Bool { spec.scope == "Namespaced" }
}

/// A CRD's `additionalPrinterColumns` entry, also what `kubectl get` shows for the kind.
public struct PrinterColumn: Sendable, Hashable, Codable {
    public var name: String
    /// integer, number, string, boolean or date.
    public var type: String
    public var format: String?
    public var description: String?
    /// 0 shows always, more only with `-o wide`.
    public var priority: Int32?
    /// A simple JSONPath (`.spec.replicas`, `.status.conditions[0].type`).
    public var jsonPath: String
    public var unknownFields = UnknownFields()

    public init(name: String, type: String, jsonPath: String, description: String? = nil, priority: Int32? = nil) {
        self.name = name
        self.type = type
        self.jsonPath = jsonPath
        self.description = description
        self.priority = priority
    }
}

/// A CRD's scale subresource: where autoscaling/v1 Scale reads and writes replicas, and the selector it reports.
public struct ScaleSubresource: Sendable, Hashable, Codable {
    public var specReplicasPath: String
    public var statusReplicasPath: String
    public var labelSelectorPath: String?
    public var unknownFields = UnknownFields()

    public init(specReplicasPath: String, statusReplicasPath: String, labelSelectorPath: String? = nil) {
        self.specReplicasPath = specReplicasPath
        self.statusReplicasPath = statusReplicasPath
        self.labelSelectorPath = labelSelectorPath
    }
}
