import FlotillaAPI

/// What a pod template asks of a cluster and what it refers to, with Karmada's helper semantics. Pure; shared by the
/// built-in interpreters and the Lua `kube` library, so a script and a built-in kind agree.
public enum PodTemplates {
    /// Karmada's `GenerateReplicaRequirements`: the per-replica resource request and node claim, nil when the
    /// template asks for neither.
    /// - resourceRequest: per resource, the larger of the containers' sum and the largest init container, plus the
    ///   pod overhead. A container's limit stands in for a missing request, as Kubernetes defaults it.
    /// - nodeClaim: `nodeSelector`, `tolerations` and the required node affinity (`hardNodeAffinity`).
    public static func replicaRequirements(_ template: JSONValue?) -> JSONValue? {
        let spec = template?["spec"]
        var requirements: JSONObject = [:]
        var claim: JSONObject = [:]
        if let selector = spec?["nodeSelector"], selector.objectValue?.isEmpty == false { claim["nodeSelector"] = selector }
        if let tolerations = spec?["tolerations"], tolerations.arrayValue?.isEmpty == false { claim["tolerations"] = tolerations }
        if let affinity = spec?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"], affinity != .null {
            claim["hardNodeAffinity"] = affinity
        }
        if !claim.isEmpty { requirements["nodeClaim"] = .object(claim) }
        let request = resourceRequest(spec)
        if !request.isEmpty { requirements["resourceRequest"] = .object(JSONObject(request.mapValues { .string($0.canonical) })) }
        if let priorityClass = spec?["priorityClassName"]?.stringValue, !priorityClass.isEmpty {
            requirements["priorityClassName"] = .string(priorityClass)
        }
        return requirements.isEmpty ? nil : .object(requirements)
    }

    /// Per-replica requests of a pod spec (Karmada's `AddPodTemplateRequest`).
    public static func resourceRequest(_ spec: JSONValue?) -> [String: Quantity] {
        var total: [String: Quantity] = [:]
        for container in spec?["containers"]?.arrayValue ?? [] {
            for (name, quantity) in containerRequests(container) { total[name, default: .zero] += quantity }
        }
        for container in spec?["initContainers"]?.arrayValue ?? [] {
            for (name, quantity) in containerRequests(container) where quantity > total[name, default: .zero] { total[name] = quantity }
        }
        for (name, value) in spec?["overhead"]?.objectValue ?? [:] {
            if let quantity = value.stringValue.flatMap({ try? Quantity(parsing: $0) }) { total[name, default: .zero] += quantity }
        }
        return total.filter { !$0.value.isZero }
    }

    private static func containerRequests(_ container: JSONValue) -> [String: Quantity] {
        let resources = container["resources"]
        var effective: [String: Quantity] = [:]
        for key in ["limits", "requests"] {
            for (name, value) in resources?[key]?.objectValue ?? [:] {
                let text = value.stringValue ?? value.int64Value.map(String.init)
                if let quantity = text.flatMap({ try? Quantity(parsing: $0) }) { effective[name] = quantity }
            }
        }
        return effective
    }

    /// Karmada's `GetDependenciesFromPodTemplate`: the ConfigMaps, Secrets (image pull secrets included),
    /// ServiceAccount (not `default`) and PersistentVolumeClaims a pod template refers to, in `namespace`, sorted by
    /// kind and name, each once.
    public static func dependencies(_ template: JSONValue?, namespace: String) -> [DependentReference] {
        let spec = template?["spec"]
        var found = Set<DependentReference>()
        func add(_ kind: String, _ name: String?) {
            guard let name, !name.isEmpty else { return }
            found.insert(DependentReference(apiVersion: "v1", kind: kind, namespace: namespace, name: name))
        }
        for volume in spec?["volumes"]?.arrayValue ?? [] {
            add("ConfigMap", volume["configMap"]?["name"]?.stringValue)
            add("Secret", volume["secret"]?["secretName"]?.stringValue)
            add("PersistentVolumeClaim", volume["persistentVolumeClaim"]?["claimName"]?.stringValue)
            for source in volume["projected"]?["sources"]?.arrayValue ?? [] {
                add("ConfigMap", source["configMap"]?["name"]?.stringValue)
                add("Secret", source["secret"]?["name"]?.stringValue)
            }
        }
        let containers = (spec?["containers"]?.arrayValue ?? []) + (spec?["initContainers"]?.arrayValue ?? [])
        for container in containers {
            for env in container["env"]?.arrayValue ?? [] {
                add("ConfigMap", env["valueFrom"]?["configMapKeyRef"]?["name"]?.stringValue)
                add("Secret", env["valueFrom"]?["secretKeyRef"]?["name"]?.stringValue)
            }
            for source in container["envFrom"]?.arrayValue ?? [] {
                add("ConfigMap", source["configMapRef"]?["name"]?.stringValue)
                add("Secret", source["secretRef"]?["name"]?.stringValue)
            }
        }
        for secret in spec?["imagePullSecrets"]?.arrayValue ?? [] { add("Secret", secret["name"]?.stringValue) }
        if let account = spec?["serviceAccountName"]?.stringValue, account != "default" { add("ServiceAccount", account) }
        return found.sorted { ($0.kind, $0.name ?? "") < ($1.kind, $1.name ?? "") }
    }
}

/// Karmada's `DependentObjectReference`: an object a workload needs on the clusters it runs in.
public struct DependentReference: Sendable, Hashable, Codable {
    public var apiVersion: String
    public var kind: String
    public var namespace: String?
    public var name: String?
    public var labelSelector: LabelSelector?

    public init(apiVersion: String, kind: String, namespace: String?, name: String?, labelSelector: LabelSelector? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.labelSelector = labelSelector
    }

    public var json: JSONValue { (try? ObjectEncoder().encode(self)) ?? .null }
}
