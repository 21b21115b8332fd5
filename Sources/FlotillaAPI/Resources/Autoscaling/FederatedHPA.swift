/// autoscaling.karmada.io/v1alpha1 FederatedHPA: autoscaling/v2's HorizontalPodAutoscaler over a federated template.
/// Its metrics are its target's pods on every member cluster; the new count goes to the template's replicas, and
/// the scheduler divides it. Resource metrics (Utilization, AverageValue) and Pods metrics (AverageValue, read through
/// custom.metrics.k8s.io) work; Object, External and ContainerResource metrics are refused.
@FastJSON
public struct FederatedHPA: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: FederatedHPASpec
    public var status: HorizontalPodAutoscalerStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: FederatedHPASpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "autoscaling.karmada.io", version: "v1alpha1", kind: "FederatedHPA", plural: "federatedhpas", shortNames: ["fhpa"],
        categories: ["karmada-io"], namespaced: true, subresources: ["status"], admit: FederatedHPA.admit,
        unknownFields: FederatedHPA.unknownFieldPaths)

    public mutating func setDefaults() {
        if spec.minReplicas == nil { spec.minReplicas = 1 }
        if spec.metrics?.isEmpty ?? true {
            spec.metrics = [MetricSpec(type: "Resource", resource: ResourceMetricSource(name: "cpu",
                target: MetricTarget(type: "Utilization", averageUtilization: 80)))]
        }
        var behavior = spec.behavior ?? HorizontalPodAutoscalerBehavior()
        behavior.scaleUp = HPAScalingRules.withDefaults(behavior.scaleUp, up: true)
        behavior.scaleDown = HPAScalingRules.withDefaults(behavior.scaleDown, up: false)
        spec.behavior = behavior
    }

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let path = FieldPath("spec")
        if (spec.minReplicas ?? 1) < 1 { errors.append(.invalid(path.child("minReplicas"), "\(spec.minReplicas!)", "must be greater than or equal to 1")) }
        if spec.maxReplicas < (spec.minReplicas ?? 1) {
            errors.append(.invalid(path.child("maxReplicas"), "\(spec.maxReplicas)", "must be greater than or equal to `minReplicas`"))
        }
        if spec.scaleTargetRef.kind.isEmpty { errors.append(.required(path.child("scaleTargetRef", "kind"))) }
        if spec.scaleTargetRef.name.isEmpty { errors.append(.required(path.child("scaleTargetRef", "name"))) }
        for (offset, metric) in (spec.metrics ?? []).enumerated() { errors += metric.problems(path.child("metrics").index(offset)) }
        if let up = spec.behavior?.scaleUp { errors += up.problems(path.child("behavior", "scaleUp")) }
        if let down = spec.behavior?.scaleDown { errors += down.problems(path.child("behavior", "scaleDown")) }
        return errors
    }
}

@FastJSON
public struct FederatedHPASpec: Sendable, Hashable, Codable {
    public var scaleTargetRef: CrossVersionObjectReference
    public var minReplicas: Int32?
    public var maxReplicas: Int32
    public var metrics: [MetricSpec]?
    public var behavior: HorizontalPodAutoscalerBehavior?
    public var unknownFields = UnknownFields()

    public init(scaleTargetRef: CrossVersionObjectReference, minReplicas: Int32? = nil, maxReplicas: Int32, metrics: [MetricSpec]? = nil) {
        self.scaleTargetRef = scaleTargetRef
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.metrics = metrics
    }
}

@FastJSON
public struct CrossVersionObjectReference: Sendable, Hashable, Codable {
    public var apiVersion: String?
    public var kind: String
    public var name: String
    public var unknownFields = UnknownFields()

    public init(apiVersion: String?, kind: String, name: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
    }
}

@FastJSON
public struct MetricSpec: Sendable, Hashable, Codable {
    public var type: String
    public var resource: ResourceMetricSource?
    public var pods: PodsMetricSource?
    public var object: JSONValue?
    public var external: JSONValue?
    public var containerResource: JSONValue?
    public var unknownFields = UnknownFields()

    public init(type: String, resource: ResourceMetricSource? = nil, pods: PodsMetricSource? = nil) {
        self.type = type
        self.resource = resource
        self.pods = pods
    }

    static let types = ["Resource", "Pods", "Object", "External", "ContainerResource"]

    func problems(_ path: FieldPath) -> [FieldError] {
        guard Self.types.contains(type) else { return [.notSupported(path.child("type"), type, supported: Self.types)] }
        if type == "Pods" { return podsProblems(path) }
        guard type == "Resource" else {
            return [.forbidden(path.child("type"), "\(type) metrics need an object or external metrics API, which Flotilla does not serve; use Resource or Pods")]
        }
        guard let resource else { return [.required(path.child("resource"), "must populate information for the given metric source")] }
        var errors: [FieldError] = []
        if resource.name.isEmpty { errors.append(.required(path.child("resource", "name"))) }
        let target = resource.target, targetPath = path.child("resource", "target")
        switch target.type {
        case "Utilization":
            if (target.averageUtilization ?? 0) <= 0 {
                errors.append(.required(targetPath.child("averageUtilization"), "must be set to a positive value for a Utilization target"))
            }
        case "AverageValue":
            if (target.averageValue?.sign ?? 0) <= 0 {
                errors.append(.required(targetPath.child("averageValue"), "must be set to a positive value for an AverageValue target"))
            }
        default:
            errors.append(.notSupported(targetPath.child("type"), target.type, supported: ["AverageValue", "Utilization"]))
        }
        return errors
    }
}

extension MetricSpec {
    /// A Pods metric: a custom metric of every target pod, averaged (autoscaling/v2 allows only AverageValue).
    func podsProblems(_ path: FieldPath) -> [FieldError] {
        guard let pods else { return [.required(path.child("pods"), "must populate information for the given metric source")] }
        var errors: [FieldError] = []
        if pods.metric.name.isEmpty { errors.append(.required(path.child("pods", "metric", "name"))) }
        if let selector = pods.metric.selector { errors += selector.validate(path: path.child("pods", "metric", "selector")) }
        let targetPath = path.child("pods", "target")
        if pods.target.type != "AverageValue" {
            errors.append(.notSupported(targetPath.child("type"), pods.target.type, supported: ["AverageValue"]))
        } else if (pods.target.averageValue?.sign ?? 0) <= 0 {
            errors.append(.required(targetPath.child("averageValue"), "must be set to a positive value for an AverageValue target"))
        }
        return errors
    }
}

/// `pods`: a metric of the target's pods from custom.metrics.k8s.io (`flotilla_game_players`).
@FastJSON
public struct PodsMetricSource: Sendable, Hashable, Codable {
    public var metric: MetricIdentifier
    public var target: MetricTarget
    public var unknownFields = UnknownFields()

    public init(metric: MetricIdentifier, target: MetricTarget) {
        self.metric = metric
        self.target = target
    }
}

@FastJSON
public struct MetricIdentifier: Sendable, Hashable, Codable {
    public var name: String
    /// Narrows the metric's series (`metricLabelSelector`).
    public var selector: LabelSelector?
    public var unknownFields = UnknownFields()

    public init(name: String, selector: LabelSelector? = nil) {
        self.name = name
        self.selector = selector
    }
}

@FastJSON
public struct ResourceMetricSource: Sendable, Hashable, Codable {
    public var name: String
    public var target: MetricTarget
    public var unknownFields = UnknownFields()

    public init(name: String, target: MetricTarget) {
        self.name = name
        self.target = target
    }
}

@FastJSON
public struct MetricTarget: Sendable, Hashable, Codable {
    /// Utilization, AverageValue or Value.
    public var type: String
    public var averageUtilization: Int32?
    public var averageValue: Quantity?
    public var value: Quantity?
    public var unknownFields = UnknownFields()

    public init(type: String, averageUtilization: Int32? = nil, averageValue: Quantity? = nil) {
        self.type = type
        self.averageUtilization = averageUtilization
        self.averageValue = averageValue
    }
}

@FastJSON
public struct HorizontalPodAutoscalerBehavior: Sendable, Hashable, Codable {
    public var scaleUp: HPAScalingRules?
    public var scaleDown: HPAScalingRules?
    public var unknownFields = UnknownFields()

    public init() {}
}

@FastJSON
public struct HPAScalingRules: Sendable, Hashable, Codable {
    public var stabilizationWindowSeconds: Int32?
    /// Max (default), Min or Disabled.
    public var selectPolicy: String?
    public var policies: [HPAScalingPolicy]?
    public var unknownFields = UnknownFields()

    public init(stabilizationWindowSeconds: Int32? = nil, selectPolicy: String? = nil, policies: [HPAScalingPolicy]? = nil) {
        self.stabilizationWindowSeconds = stabilizationWindowSeconds
        self.selectPolicy = selectPolicy
        self.policies = policies
    }

    /// autoscaling/v2's defaults: up at once by 100 % or 4 pods per 15 s, whichever is more; down after 300 s of
    /// lower recommendations, by up to 100 % per 15 s.
    public static func withDefaults(_ rules: HPAScalingRules?, up: Bool) -> HPAScalingRules {
        var rules = rules ?? HPAScalingRules()
        if rules.stabilizationWindowSeconds == nil { rules.stabilizationWindowSeconds = up ? 0 : 300 }
        if rules.selectPolicy == nil { rules.selectPolicy = "Max" }
        if rules.policies == nil {
            rules.policies = up ? [HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15), HPAScalingPolicy(type: "Pods", value: 4, periodSeconds: 15)]
                : [HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15)]
        }
        return rules
    }

    func problems(_ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if let window = stabilizationWindowSeconds, !(0...3600).contains(window) {
            errors.append(.invalid(path.child("stabilizationWindowSeconds"), "\(window)", "must be between 0 and 3600"))
        }
        if let select = selectPolicy, !["Max", "Min", "Disabled"].contains(select) {
            errors.append(.notSupported(path.child("selectPolicy"), select, supported: ["Disabled", "Max", "Min"]))
        }
        if policies?.isEmpty == true, selectPolicy != "Disabled" {
            errors.append(.required(path.child("policies"), "must specify at least one Policy"))
        }
        for (offset, policy) in (policies ?? []).enumerated() {
            let at = path.child("policies").index(offset)
            if !["Pods", "Percent"].contains(policy.type) { errors.append(.notSupported(at.child("type"), policy.type, supported: ["Percent", "Pods"])) }
            if policy.value <= 0 { errors.append(.invalid(at.child("value"), "\(policy.value)", "must be greater than zero")) }
            if !(1...1800).contains(policy.periodSeconds) {
                errors.append(.invalid(at.child("periodSeconds"), "\(policy.periodSeconds)", "must be between 1 and 1800"))
            }
        }
        return errors
    }
}

@FastJSON
public struct HPAScalingPolicy: Sendable, Hashable, Codable {
    /// Pods or Percent.
    public var type: String
    public var value: Int32
    public var periodSeconds: Int32
    public var unknownFields = UnknownFields()

    public init(type: String, value: Int32, periodSeconds: Int32) {
        self.type = type
        self.value = value
        self.periodSeconds = periodSeconds
    }
}

@FastJSON
public struct HorizontalPodAutoscalerStatus: Sendable, Hashable, Codable {
    public var observedGeneration: Int64?
    public var lastScaleTime: Timestamp?
    public var currentReplicas: Int32?
    public var desiredReplicas: Int32
    public var currentMetrics: [MetricStatus]?
    public var conditions: [Condition]?
    public var unknownFields = UnknownFields()

    public init(desiredReplicas: Int32) { self.desiredReplicas = desiredReplicas }
}

@FastJSON
public struct MetricStatus: Sendable, Hashable, Codable {
    public var type: String
    public var resource: ResourceMetricStatus?
    public var pods: PodsMetricStatus?
    public var unknownFields = UnknownFields()

    public init(type: String, resource: ResourceMetricStatus? = nil, pods: PodsMetricStatus? = nil) {
        self.type = type
        self.resource = resource
        self.pods = pods
    }
}

@FastJSON
public struct PodsMetricStatus: Sendable, Hashable, Codable {
    public var metric: MetricIdentifier
    public var current: MetricValueStatus
    public var unknownFields = UnknownFields()

    public init(metric: MetricIdentifier, current: MetricValueStatus) {
        self.metric = metric
        self.current = current
    }
}

@FastJSON
public struct ResourceMetricStatus: Sendable, Hashable, Codable {
    public var name: String
    public var current: MetricValueStatus
    public var unknownFields = UnknownFields()

    public init(name: String, current: MetricValueStatus) {
        self.name = name
        self.current = current
    }
}

@FastJSON
public struct MetricValueStatus: Sendable, Hashable, Codable {
    public var averageUtilization: Int32?
    public var averageValue: Quantity?
    public var unknownFields = UnknownFields()

    public init(averageUtilization: Int32?, averageValue: Quantity?) {
        self.averageUtilization = averageUtilization
        self.averageValue = averageValue
    }
}
