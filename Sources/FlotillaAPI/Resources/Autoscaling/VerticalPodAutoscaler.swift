/// autoscaling.k8s.io/v1 VerticalPodAutoscaler, upstream's shape (short name `vpa`): recommendations for its
/// target's containers from their usage on every member, and with `updateMode` Initial, Recreate or Auto, the
/// template's requests (limits keep their ratio to requests) changed to follow them.
@FastJSON
public struct VerticalPodAutoscaler: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: VerticalPodAutoscalerSpec
    public var status: VerticalPodAutoscalerStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: VerticalPodAutoscalerSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "autoscaling.k8s.io", version: "v1", kind: "VerticalPodAutoscaler", plural: "verticalpodautoscalers", shortNames: ["vpa"],
        namespaced: true, subresources: ["status"], admit: VerticalPodAutoscaler.admit, unknownFields: VerticalPodAutoscaler.unknownFieldPaths)

    static let modes = ["Off", "Initial", "Recreate", "Auto"]

    public var updateMode: String { spec.updatePolicy?.updateMode ?? "Auto" }

    public mutating func setDefaults() {
        var policy = spec.updatePolicy ?? UpdatePolicy()
        if policy.updateMode == nil { policy.updateMode = "Auto" }
        spec.updatePolicy = policy
    }

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let path = FieldPath("spec")
        if spec.targetRef.name.isEmpty { errors.append(.required(path.child("targetRef", "name"))) }
        if spec.targetRef.kind.isEmpty { errors.append(.required(path.child("targetRef", "kind"))) }
        if let mode = spec.updatePolicy?.updateMode, !Self.modes.contains(mode) {
            errors.append(.notSupported(path.child("updatePolicy", "updateMode"), mode, supported: Self.modes))
        }
        if let minimum = spec.updatePolicy?.minReplicas, minimum < 1 {
            errors.append(.invalid(path.child("updatePolicy", "minReplicas"), "\(minimum)", "must be at least 1"))
        }
        for (offset, policy) in (spec.resourcePolicy?.containerPolicies ?? []).enumerated() {
            let at = path.child("resourcePolicy", "containerPolicies").index(offset)
            if policy.containerName.isEmpty { errors.append(.required(at.child("containerName"))) }
            if let mode = policy.mode, !["Auto", "Off"].contains(mode) { errors.append(.notSupported(at.child("mode"), mode, supported: ["Auto", "Off"])) }
            if let values = policy.controlledValues, !["RequestsAndLimits", "RequestsOnly"].contains(values) {
                errors.append(.notSupported(at.child("controlledValues"), values, supported: ["RequestsAndLimits", "RequestsOnly"]))
            }
            for (index, resource) in (policy.controlledResources ?? []).enumerated() where !["cpu", "memory"].contains(resource) {
                errors.append(.notSupported(at.child("controlledResources").index(index), resource, supported: ["cpu", "memory"]))
            }
            for (resource, low) in policy.minAllowed ?? [:] {
                if let high = policy.maxAllowed?[resource], low > high {
                    errors.append(.invalid(at.child("maxAllowed").key(resource), high.canonical, "must be greater than or equal to minAllowed"))
                }
            }
        }
        return errors
    }
}

@FastJSON
public struct VerticalPodAutoscalerSpec: Sendable, Hashable, Codable {
    public var targetRef: CrossVersionObjectReference
    public var updatePolicy: UpdatePolicy?
    public var resourcePolicy: PodResourcePolicy?
    public var unknownFields = UnknownFields()

    public init(targetRef: CrossVersionObjectReference, updateMode: String? = nil) {
        self.targetRef = targetRef
        self.updatePolicy = updateMode.map { UpdatePolicy(updateMode: $0) }
    }
}

@FastJSON
public struct UpdatePolicy: Sendable, Hashable, Codable {
    /// Off, Initial, Recreate or Auto (default).
    public var updateMode: String?
    public var minReplicas: Int32?
    public var unknownFields = UnknownFields()

    public init(updateMode: String? = nil) { self.updateMode = updateMode }
}

@FastJSON
public struct PodResourcePolicy: Sendable, Hashable, Codable {
    public var containerPolicies: [ContainerResourcePolicy]?
    public var unknownFields = UnknownFields()
}

@FastJSON
public struct ContainerResourcePolicy: Sendable, Hashable, Codable {
    /// A container's name, or `*` for every container without its own policy.
    public var containerName: String
    /// Auto (default) or Off (no recommendation for the container).
    public var mode: String?
    public var minAllowed: [String: Quantity]?
    public var maxAllowed: [String: Quantity]?
    /// Default: cpu and memory.
    public var controlledResources: [String]?
    /// RequestsAndLimits (default: limits keep their ratio to requests) or RequestsOnly.
    public var controlledValues: String?
    public var unknownFields = UnknownFields()

    public init(containerName: String) { self.containerName = containerName }
}

@FastJSON
public struct VerticalPodAutoscalerStatus: Sendable, Hashable, Codable {
    public var recommendation: RecommendedPodResources?
    public var conditions: [Condition]?
    public var unknownFields = UnknownFields()

    public init() {}
}

@FastJSON
public struct RecommendedPodResources: Sendable, Hashable, Codable {
    public var containerRecommendations: [RecommendedContainerResources]?
    public var unknownFields = UnknownFields()

    public init(containerRecommendations: [RecommendedContainerResources]?) { self.containerRecommendations = containerRecommendations }
}

@FastJSON
public struct RecommendedContainerResources: Sendable, Hashable, Codable {
    public var containerName: String
    public var target: [String: Quantity]
    public var lowerBound: [String: Quantity]?
    public var upperBound: [String: Quantity]?
    public var uncappedTarget: [String: Quantity]?
    public var unknownFields = UnknownFields()

    public init(containerName: String, target: [String: Quantity], lowerBound: [String: Quantity]?, upperBound: [String: Quantity]?,
                uncappedTarget: [String: Quantity]?) {
        self.containerName = containerName
        self.target = target
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.uncappedTarget = uncappedTarget
    }
}
