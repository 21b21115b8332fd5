/// catalog.flotilla.io/v1alpha1 ServiceInstance: one provisioned copy of an offering's plan. The catalog controller
/// renders the offering's template with the parameters, creates the objects and their PropagationPolicy (and
/// AppProfile), lists them in `status.objects`, and reports `Ready` once every Deployment is Ready on its
/// members. Deleting the instance deletes all of it, on every member. The Open Service Broker API's instances are
/// these objects (`metadata.annotations["catalog.flotilla.io/osb-instance-id"]`).
@FastJSON
public struct ServiceInstance: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ServiceInstanceSpec
    public var status: ServiceInstanceStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: ServiceInstanceSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "catalog.flotilla.io", version: "v1alpha1", kind: "ServiceInstance", plural: "serviceinstances",
        shortNames: ["instance"], categories: ["flotilla-catalog"], namespaced: true, subresources: ["status"], nameRule: .dns1123Label,
        admit: ServiceInstance.admit, unknownFields: ServiceInstance.unknownFieldPaths)

    public static let finalizer = "catalog.flotilla.io/cleanup"
    /// On every object an instance made.
    public static let instanceLabel = "catalog.flotilla.io/instance"
    public static let offeringLabel = "catalog.flotilla.io/offering"

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if spec.offeringName.isEmpty { errors.append(.required(FieldPath("spec.offeringName"))) }
        if spec.planName.isEmpty { errors.append(.required(FieldPath("spec.planName"))) }
        if let parameters = spec.parameters, parameters.objectValue == nil {
            errors.append(.invalid(FieldPath("spec.parameters"), "\(parameters)", "must be an object"))
        }
        return errors
    }
}

@FastJSON
public struct ServiceInstanceSpec: Sendable, Hashable, Codable {
    public var offeringName: String
    /// The plan's name (or its id).
    public var planName: String
    public var parameters: JSONValue?
    public var unknownFields = UnknownFields()

    public init(offeringName: String, planName: String, parameters: JSONValue? = nil) {
        self.offeringName = offeringName
        self.planName = planName
        self.parameters = parameters
    }
}

@FastJSON
public struct ServiceInstanceStatus: Sendable, Hashable, Codable {
    public var observedGeneration: Int64?
    public var conditions: [Condition]?
    /// What the instance made on the control plane (the federation puts the workloads on members).
    public var objects: [RenderedObject]?

    public init() {}
}

@FastJSON
public struct RenderedObject: Sendable, Hashable, Codable {
    public var apiVersion: String
    public var kind: String
    public var name: String

    public init(apiVersion: String, kind: String, name: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
    }
}
