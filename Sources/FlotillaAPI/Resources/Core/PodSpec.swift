/// A pod template: metadata and the pod spec. Shared by Deployment and by the simulated sites' pods.
@FastJSON
public struct PodTemplateSpec: Sendable, Hashable, Codable {
    public var metadata: ObjectMeta?
    public var spec: PodSpec
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta?, spec: PodSpec) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// core/v1 PodSpec: containers typed, everything else (volumes, affinity, ...) kept as it came.
@FastJSON
public struct PodSpec: Sendable, Hashable, Codable {
    public var containers: [Container]
    public var initContainers: [Container]?
    public var nodeName: String?
    public var nodeSelector: [String: String]?
    public var tolerations: [Toleration]?
    public var restartPolicy: String?
    public var terminationGracePeriodSeconds: Int64?
    public var dnsPolicy: String?
    public var schedulerName: String?
    public var unknownFields = UnknownFields()

    public init(containers: [Container]) { self.containers = containers }

    public mutating func setDefaults() {
        if restartPolicy == nil { restartPolicy = "Always" }
        if terminationGracePeriodSeconds == nil { terminationGracePeriodSeconds = 30 }
        if dnsPolicy == nil { dnsPolicy = "ClusterFirst" }
        if schedulerName == nil { schedulerName = "default-scheduler" }
        for index in containers.indices { containers[index].setDefaults() }
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if containers.isEmpty { errors.append(.required(path.child("containers"))) }
        var names = Set<String>()
        for (offset, container) in containers.enumerated() {
            let at = path.child("containers").index(offset)
            if container.name.isEmpty {
                errors.append(.required(at.child("name")))
            } else {
                for problem in NameValidation.dns1123Label(container.name) {
                    errors.append(.invalid(at.child("name"), container.name, problem))
                }
                if !names.insert(container.name).inserted { errors.append(.duplicate(at.child("name"), container.name)) }
            }
            if container.image?.isEmpty ?? true { errors.append(.required(at.child("image"))) }
            errors += container.resources?.validate(path: at.child("resources")) ?? []
            for (portOffset, port) in (container.ports ?? []).enumerated() where !(1...65535).contains(port.containerPort) {
                errors.append(.invalid(at.child("ports").index(portOffset).child("containerPort"), String(port.containerPort),
                    "must be between 1 and 65535, inclusive"))
            }
        }
        return errors
    }

    /// Sum of the containers' requests; a limit stands in for a missing request, as in Kubernetes defaulting.
    public var requests: [String: Quantity] {
        var total: [String: Quantity] = [:]
        for container in containers {
            let effective = (container.resources?.limits ?? [:]).merging(container.resources?.requests ?? [:]) { _, request in request }
            for (name, quantity) in effective { total[name, default: .zero] += quantity }
        }
        return total
    }
}

@FastJSON
public struct Container: Sendable, Hashable, Codable {
    public var name: String
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var env: [EnvVar]?
    public var ports: [ContainerPort]?
    public var resources: ResourceRequirements?
    public var imagePullPolicy: String?
    public var unknownFields = UnknownFields()

    public init(name: String, image: String, resources: ResourceRequirements? = nil) {
        self.name = name
        self.image = image
        self.resources = resources
    }

    mutating func setDefaults() {
        if imagePullPolicy == nil, let image {
            imagePullPolicy = image.hasSuffix(":latest") || !image.contains(":") ? "Always" : "IfNotPresent"
        }
        ports = ports?.map { port in
            var port = port
            if port.protocol == nil { port.protocol = "TCP" }
            return port
        }
    }
}

@FastJSON
public struct EnvVar: Sendable, Hashable, Codable {
    public var name: String
    public var value: String?
    public var valueFrom: JSONValue?

    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }
}

@FastJSON
public struct ContainerPort: Sendable, Hashable, Codable {
    public var name: String?
    public var containerPort: Int64
    public var `protocol`: String?
    public var hostPort: Int64?
    public var unknownFields = UnknownFields()

    public init(name: String? = nil, containerPort: Int64) {
        self.name = name
        self.containerPort = containerPort
    }
}

@FastJSON
public struct ResourceRequirements: Sendable, Hashable, Codable {
    public var requests: [String: Quantity]?
    public var limits: [String: Quantity]?
    public var unknownFields = UnknownFields()

    public init(requests: [String: Quantity]? = nil, limits: [String: Quantity]? = nil) {
        self.requests = requests
        self.limits = limits
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for (name, quantity) in (requests ?? [:]).sorted(by: { $0.key < $1.key }) where quantity.sign < 0 {
            errors.append(.invalid(path.child("requests").key(name), quantity.canonical, "must be greater than or equal to 0"))
        }
        for (name, quantity) in (limits ?? [:]).sorted(by: { $0.key < $1.key }) {
            if quantity.sign < 0 {
                errors.append(.invalid(path.child("limits").key(name), quantity.canonical, "must be greater than or equal to 0"))
            }
            if let request = requests?[name], request > quantity {
                errors.append(.invalid(path.child("requests").key(name), request.canonical,
                    "must be less than or equal to \(name) limit of \(quantity.canonical)"))
            }
        }
        return errors
    }
}

/// core/v1 Toleration; also what Karmada's `clusterTolerations` hold.
@FastJSON
public struct Toleration: Sendable, Hashable, Codable {
    public var key: String?
    public var `operator`: String?
    public var value: String?
    public var effect: String?
    public var tolerationSeconds: Int64?

    public init(key: String? = nil, operator: String? = nil, value: String? = nil, effect: String? = nil,
                tolerationSeconds: Int64? = nil) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }

    /// Whether this toleration tolerates `taint` (Kubernetes' `ToleratesTaint`): empty effect matches all
    /// effects; `Exists` with an empty key matches every taint.
    public func tolerates(_ taint: Taint) -> Bool {
        if let effect, !effect.isEmpty, effect != taint.effect { return false }
        let op = `operator` ?? "Equal"
        if (key ?? "").isEmpty { return op == "Exists" }
        guard key == taint.key else { return false }
        switch op {
        case "Exists": return true
        case "Equal": return (value ?? "") == (taint.value ?? "")
        default: return false
        }
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        let op = `operator` ?? "Equal"
        switch op {
        case "Equal":
            if (key ?? "").isEmpty { errors.append(.invalid(path.child("operator"), op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\"")) }
        case "Exists":
            if !(value ?? "").isEmpty { errors.append(.invalid(path.child("operator"), op, "value must be empty when `operator` is 'Exists'")) }
        default:
            errors.append(.notSupported(path.child("operator"), op, supported: ["Equal", "Exists"]))
        }
        if let effect, !effect.isEmpty, !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(effect) {
            errors.append(.notSupported(path.child("effect"), effect, supported: ["NoSchedule", "PreferNoSchedule", "NoExecute"]))
        }
        if tolerationSeconds != nil, effect != "NoExecute" {
            errors.append(.invalid(path.child("effect"), effect ?? "", "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        }
        return errors
    }
}

/// core/v1 Taint; Karmada puts them on `Cluster.spec.taints`.
@FastJSON
public struct Taint: Sendable, Hashable, Codable {
    public var key: String
    public var value: String?
    public var effect: String
    public var timeAdded: Timestamp?

    public init(key: String, value: String? = nil, effect: String, timeAdded: Timestamp? = nil) {
        self.key = key
        self.value = value
        self.effect = effect
        self.timeAdded = timeAdded
    }
}
