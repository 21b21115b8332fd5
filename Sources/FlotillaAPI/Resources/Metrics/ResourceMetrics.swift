/// metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics, as metrics-server serves them: read-only, computed when asked
/// (`ResourceDescriptor.computed`): a simulated site from its workloads' usage, the control plane by gathering its
/// members' (karmada-metrics-adapter's role). `kubectl top pods|nodes` reads them.
@FastJSON
public struct PodMetrics: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var timestamp: Timestamp
    /// The window the usage is averaged over (`1s`).
    public var window: String
    public var containers: [ContainerMetrics]
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, timestamp: Timestamp, window: String, containers: [ContainerMetrics]) {
        self.metadata = metadata
        self.timestamp = timestamp
        self.window = window
        self.containers = containers
    }

    public static let descriptor: ResourceDescriptor = {
        var descriptor = ResourceDescriptor(group: "metrics.k8s.io", version: "v1beta1", kind: "PodMetrics", plural: "pods", namespaced: true,
                                            admit: PodMetrics.admit)
        descriptor.computed = true
        return descriptor
    }()

    /// The pod's usage: its containers' summed.
    public var usage: [String: Quantity] {
        containers.reduce(into: [:]) { total, container in
            for (resource, quantity) in container.usage { total[resource] = (total[resource] ?? .zero) + quantity }
        }
    }
}

@FastJSON
public struct ContainerMetrics: Sendable, Hashable, Codable {
    public var name: String
    public var usage: [String: Quantity]
    public var unknownFields = UnknownFields()

    public init(name: String, usage: [String: Quantity]) {
        self.name = name
        self.usage = usage
    }
}

@FastJSON
public struct NodeMetrics: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var timestamp: Timestamp
    public var window: String
    public var usage: [String: Quantity]
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, timestamp: Timestamp, window: String, usage: [String: Quantity]) {
        self.metadata = metadata
        self.timestamp = timestamp
        self.window = window
        self.usage = usage
    }

    public static let descriptor: ResourceDescriptor = {
        var descriptor = ResourceDescriptor(group: "metrics.k8s.io", version: "v1beta1", kind: "NodeMetrics", plural: "nodes", namespaced: false,
                                            admit: NodeMetrics.admit)
        descriptor.computed = true
        return descriptor
    }()
}
