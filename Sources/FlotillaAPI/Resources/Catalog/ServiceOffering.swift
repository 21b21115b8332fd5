/// catalog.flotilla.io/v1alpha1 ServiceOffering (cluster-scoped): an edge service app developers can provision
/// without knowing how it is built. Its plans carry a JSON Schema for their parameters (`JSONSchema`'s subset); its
/// template holds the manifests (namespaced kinds the control plane serves) with `{{parameters.NAME}}`,
/// `{{instance.name}}` and `{{instance.namespace}}` placeholders, the placement (a PropagationPolicy's `placement`)
/// and, optionally, an AppProfile spec for latency-aware placement and discovery. An offering may instead name a
/// service registered through MEC 011 (`registeredService`): its instances provision nothing and bind to that
/// service's transport endpoints. docs/catalog.md.
@FastJSON
public struct ServiceOffering: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ServiceOfferingSpec
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: ServiceOfferingSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "catalog.flotilla.io", version: "v1alpha1", kind: "ServiceOffering", plural: "serviceofferings",
        shortNames: ["offering"], categories: ["flotilla-catalog"], namespaced: false, nameRule: .dns1123Label,
        admit: ServiceOffering.admit, unknownFields: ServiceOffering.unknownFieldPaths)

    public mutating func setDefaults() {
        if spec.bindable == nil { spec.bindable = true }
        let name = metadata.name ?? ""
        if spec.id == nil { spec.id = name }
        for index in spec.plans.indices {
            if spec.plans[index].id == nil { spec.plans[index].id = "\(name)-\(spec.plans[index].name)" }
            if spec.plans[index].free == nil { spec.plans[index].free = true }
        }
    }

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let path = FieldPath("spec")
        if spec.description.isEmpty { errors.append(.required(path.child("description"))) }
        if spec.plans.isEmpty { errors.append(.required(path.child("plans"), "at least one plan")) }
        var names = Set<String>(), ids = Set<String>()
        for (offset, plan) in spec.plans.enumerated() {
            let at = path.child("plans").index(offset)
            for problem in NameValidation.dns1123Label(plan.name) { errors.append(.invalid(at.child("name"), plan.name, problem)) }
            if !names.insert(plan.name).inserted { errors.append(.duplicate(at.child("name"), plan.name)) }
            if let id = plan.id, !ids.insert(id).inserted { errors.append(.duplicate(at.child("id"), id)) }
            if let schema = plan.parameters {
                errors += JSONSchema.problems(in: schema, at: at.child("parameters"))
                if schema["type"]?.stringValue != "object" {
                    errors.append(.invalid(at.child("parameters").child("type"), schema["type"]?.stringValue ?? "", "a plan's parameters are an object"))
                }
            }
        }
        if (spec.template == nil) == (spec.registeredService == nil) {
            errors.append(.required(path.child("template"), "exactly one of template (what to provision) and registeredService (a MEC 011 service)"))
        }
        let manifests = spec.template?.manifests ?? []
        if spec.template != nil, manifests.isEmpty { errors.append(.required(path.child("template.manifests"), "at least one manifest")) }
        for (offset, manifest) in manifests.enumerated() {
            let at = path.child("template.manifests").index(offset)
            guard let apiVersion = manifest["apiVersion"]?.stringValue, let kind = manifest["kind"]?.stringValue else {
                errors.append(.required(at, "apiVersion and kind"))
                continue
            }
            if manifest["metadata"]?["name"]?.stringValue?.isEmpty != false { errors.append(.required(at.child("metadata.name"))) }
            if !Self.provisionable.contains("\(apiVersion)/\(kind)") {
                errors.append(.notSupported(at.child("kind"), "\(apiVersion)/\(kind)", supported: Self.provisionable.sorted()))
            }
        }
        return errors
    }

    /// The kinds a template may hold: namespaced workloads and their companions that the federation propagates.
    public static let provisionable: Set<String> = ["apps/v1/Deployment", "v1/Service", "v1/ConfigMap", "v1/Secret",
                                                    "multicluster.x-k8s.io/v1alpha1/ServiceExport"]

    /// The plan with this name or id.
    public func plan(_ reference: String) -> ServicePlan? {
        spec.plans.first { $0.name == reference || $0.id == reference }
    }
}

@FastJSON
public struct ServiceOfferingSpec: Sendable, Hashable, Codable {
    /// The Open Service Broker `service_id`; defaults to the offering's name.
    public var id: String?
    public var description: String
    public var tags: [String]?
    /// Whether ServiceBindings may be made (default true).
    public var bindable: Bool?
    public var plans: [ServicePlan]
    /// What an instance provisions.
    public var template: OfferingTemplate?
    /// Or: the `serInstanceId` of a service registered through MEC 011, which instances bind to as it is.
    public var registeredService: String?
    public var unknownFields = UnknownFields()

    public init(description: String, plans: [ServicePlan], template: OfferingTemplate?, registeredService: String? = nil) {
        self.description = description
        self.plans = plans
        self.template = template
        self.registeredService = registeredService
    }
}

@FastJSON
public struct ServicePlan: Sendable, Hashable, Codable {
    /// The Open Service Broker `plan_id`; defaults to `<offering>-<name>`.
    public var id: String?
    public var name: String
    public var description: String?
    /// Default true.
    public var free: Bool?
    /// A JSON Schema (the `JSONSchema` subset) for the instance's parameters.
    public var parameters: JSONValue?
    public var unknownFields = UnknownFields()

    public init(name: String, description: String? = nil, parameters: JSONValue? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

@FastJSON
public struct OfferingTemplate: Sendable, Hashable, Codable {
    public var manifests: [JSONValue]
    /// A PropagationPolicy's `placement`, with placeholders; without it, every cluster gets a copy.
    public var placement: JSONValue?
    /// An AppProfile `spec` (its `workloads` are filled in), for latency-aware placement and discovery.
    public var appProfile: JSONValue?
    public var unknownFields = UnknownFields()

    public init(manifests: [JSONValue], placement: JSONValue? = nil, appProfile: JSONValue? = nil) {
        self.manifests = manifests
        self.placement = placement
        self.appProfile = appProfile
    }
}
