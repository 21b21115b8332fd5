import FlotillaAPI

/// What a ServiceInstance should create: its offering's template rendered with the instance's parameters. Pure.
///
/// - The parameters are checked against the plan's schema after its defaults are filled in; every problem is a
///   `FieldError` under `spec.parameters`.
/// - `{{parameters.NAME}}` (a dotted path into the parameters), `{{instance.name}}` and `{{instance.namespace}}` are
///   replaced in every string of the manifests, the placement and the AppProfile. A string that is nothing but one
///   placeholder takes the parameter's own type (`replicas: "{{parameters.replicas}}"` becomes a number), unless it
///   ends in `| string` (`value: "{{parameters.sessions | string}}"` stays text, as an env value must); inside a
///   longer string the value is written as text. An unknown placeholder is an error naming it.
/// - Every object lands in the instance's namespace with the labels `catalog.flotilla.io/instance` and
///   `catalog.flotilla.io/offering`. One PropagationPolicy `catalog-<instance>` selects them by the instance label,
///   one selector per kind, with the template's placement; with an AppProfile in the template, an AppProfile named
///   after the instance describes its Deployments.
struct CatalogRendering: Sendable {
    var objects: [JSONValue] = []

    enum Failure: Error, Equatable {
        case noPlan(String)
        case invalid([FieldError])
    }

    static func render(offering: ServiceOffering, instance: ServiceInstance) -> Result<CatalogRendering, Failure> {
        guard let plan = offering.plan(instance.spec.planName) else { return .failure(.noPlan(instance.spec.planName)) }
        let path = FieldPath("spec.parameters")
        var parameters = instance.spec.parameters ?? .object([:])
        if let schema = plan.parameters {
            let checker = JSONSchema(schema)
            parameters = checker.withDefaults(parameters) ?? parameters
            let errors = checker.check(parameters, at: path)
            if !errors.isEmpty { return .failure(.invalid(errors)) }
        } else if !(parameters.objectValue ?? [:]).isEmpty {
            return .failure(.invalid([.forbidden(path, "plan \(plan.name) takes no parameters")]))
        }
        // A registered MEC service is bound as it is: nothing to create.
        guard let template = offering.spec.template else { return .success(CatalogRendering()) }
        let name = instance.metadata.name ?? "", namespace = instance.metadata.namespace ?? "default"
        let offeringName = offering.metadata.name ?? ""
        var context = Substitution(values: ["instance.name": .string(name), "instance.namespace": .string(namespace)], parameters: parameters)
        var rendering = CatalogRendering()
        var kinds: [(apiVersion: String, kind: String)] = []
        for manifest in template.manifests {
            var object = context.apply(manifest)
            object.setMetadata("namespace", .string(namespace))
            var labels = object.labels
            labels[ServiceInstance.instanceLabel] = name
            labels[ServiceInstance.offeringLabel] = offeringName
            object.setMetadata("labels", .object(JSONObject(labels.mapValues(JSONValue.string))))
            rendering.objects.append(object)
            let key = (object["apiVersion"]?.stringValue ?? "", object["kind"]?.stringValue ?? "")
            if !kinds.contains(where: { $0 == key }) { kinds.append(key) }
        }
        let selector: JSONValue = ["matchLabels": [ServiceInstance.instanceLabel: .string(name)]]
        var policySpec: JSONValue = ["resourceSelectors": .array(kinds.map { ["apiVersion": .string($0.apiVersion), "kind": .string($0.kind), "labelSelector": selector] })]
        if let placement = template.placement { policySpec["placement"] = context.apply(placement) }
        rendering.objects.append(["apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
            "metadata": ["name": .string("catalog-\(name)"), "namespace": .string(namespace),
                         "labels": [ServiceInstance.instanceLabel: .string(name), ServiceInstance.offeringLabel: .string(offeringName)]],
            "spec": policySpec])
        if let profile = template.appProfile {
            var spec = context.apply(profile)
            spec["workloads"] = .array(kinds.filter { $0.kind == "Deployment" }.map { ["apiVersion": .string($0.apiVersion), "kind": .string($0.kind), "labelSelector": selector] })
            rendering.objects.append(["apiVersion": "mec.flotilla.io/v1alpha1", "kind": "AppProfile",
                "metadata": ["name": .string(name), "namespace": .string(namespace),
                             "labels": [ServiceInstance.instanceLabel: .string(name), ServiceInstance.offeringLabel: .string(offeringName)]],
                "spec": spec])
        }
        if !context.unknown.isEmpty {
            return .failure(.invalid(context.unknown.sorted().map { .invalid(FieldPath("spec.offeringName"), offeringName, "the template's placeholder {{\($0)}} names nothing") }))
        }
        return .success(rendering)
    }
}

/// Replaces `{{…}}` placeholders in strings, remembering the ones that name nothing.
struct Substitution {
    var values: [String: JSONValue]
    var parameters: JSONValue
    var unknown = Set<String>()

    mutating func apply(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return substitute(text)
        case .array(let items): return .array(items.map { apply($0) })
        case .object(let members): return .object(members.mapValues { apply($0) })
        default: return value
        }
    }

    func lookup(_ name: String) -> JSONValue? {
        if let value = values[name] { return value }
        guard name.hasPrefix("parameters.") else { return nil }
        var current: JSONValue? = parameters
        for part in name.dropFirst("parameters.".count).split(separator: ".") { current = current?[String(part)] }
        return current
    }

    mutating func substitute(_ text: String) -> JSONValue {
        guard text.contains("{{") else { return .string(text) }
        var result = ""
        var rest = Substring(text)
        var whole: JSONValue?
        while let open = rest.range(of: "{{"), let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) {
            var name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            var asText = false
            if let bar = name.firstIndex(of: "|") {
                let filter = name[name.index(after: bar)...].trimmingCharacters(in: .whitespaces)
                name = name[..<bar].trimmingCharacters(in: .whitespaces)
                if filter == "string" { asText = true } else { unknown.insert("\(name) | \(filter)") }
            }
            let value = lookup(name)
            if value == nil { unknown.insert(name) }
            if open.lowerBound == rest.startIndex, close.upperBound == rest.endIndex, result.isEmpty, !asText { whole = value }
            result += rest[..<open.lowerBound]
            result += value.map { $0.stringValue ?? String(decoding: $0.serialized(), as: UTF8.self) } ?? ""
            rest = rest[close.upperBound...]
        }
        result += rest
        return whole ?? .string(result)
    }
}
