/// catalog.flotilla.io/v1alpha1 ServiceBinding: credentials for an app to use a ServiceInstance. Once the instance is
/// Ready the catalog controller writes the Secret `secretName` (default: the binding's name) with `discoveryURL`,
/// `token` (a bearer token that reads only that instance's discovery, docs/catalog.md) and `endpoints`.
@FastJSON
public struct ServiceBinding: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ServiceBindingSpec
    public var status: ServiceBindingStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: ServiceBindingSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "catalog.flotilla.io", version: "v1alpha1", kind: "ServiceBinding", plural: "servicebindings",
        shortNames: ["binding"], categories: ["flotilla-catalog"], namespaced: true, subresources: ["status"], nameRule: .dns1123Label,
        admit: ServiceBinding.admit, unknownFields: ServiceBinding.unknownFieldPaths)

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if spec.instanceRef.name.isEmpty { errors.append(.required(FieldPath("spec.instanceRef.name"))) }
        if let secret = spec.secretName {
            for problem in NameValidation.dns1123Subdomain(secret) { errors.append(.invalid(FieldPath("spec.secretName"), secret, problem)) }
        }
        return errors
    }

    /// The Secret it writes.
    public var secret: String { spec.secretName ?? metadata.name ?? "" }
}

@FastJSON
public struct ServiceBindingSpec: Sendable, Hashable, Codable {
    public var instanceRef: LocalReference
    public var secretName: String?
    public var unknownFields = UnknownFields()

    public init(instanceRef: LocalReference, secretName: String? = nil) {
        self.instanceRef = instanceRef
        self.secretName = secretName
    }
}

@FastJSON
public struct LocalReference: Sendable, Hashable, Codable {
    public var name: String

    public init(name: String) { self.name = name }
}

@FastJSON
public struct ServiceBindingStatus: Sendable, Hashable, Codable {
    public var conditions: [Condition]?
    public var secretName: String?

    public init() {}
}
