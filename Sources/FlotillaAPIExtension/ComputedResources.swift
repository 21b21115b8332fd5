import FlotillaAPI

/// Objects a server computes when asked instead of storing them (metrics.k8s.io, custom.metrics.k8s.io): the seam a
/// simulated site fills from its workloads' usage and metrics, and the control plane from its members'. A server
/// without one answers 503 for them.
public protocol ComputedResources: Sendable {
    /// The objects of `resource` in `namespace` (every namespace when nil; cluster-scoped kinds ignore it).
    func objects(_ resource: GroupResource, namespace: String?) async throws(APIError) -> [JSONValue]
    /// custom.metrics.k8s.io: the metric's values for the pods the query names (none: the metric is unknown).
    func customMetrics(_ query: CustomMetricQuery) async throws(APIError) -> [MetricValue]
    /// The custom metrics pods expose now, for discovery (`pods/<metric>`).
    func customMetricNames() async -> [String]
}

extension ComputedResources {
    public func customMetrics(_ query: CustomMetricQuery) async throws(APIError) -> [MetricValue] {
        throw APIError(.serviceUnavailable, "this server serves no \(CustomMetrics.group)")
    }

    public func customMetricNames() async -> [String] { [] }
}
