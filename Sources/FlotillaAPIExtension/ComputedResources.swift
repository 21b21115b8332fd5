import FlotillaAPI

/// Objects a server computes when asked instead of storing them (metrics.k8s.io): the seam a simulated site fills
/// from its workloads' usage, and the control plane from its members'. A server without one answers 503 for them.
public protocol ComputedResources: Sendable {
    /// The objects of `resource` in `namespace` (every namespace when nil; cluster-scoped kinds ignore it).
    func objects(_ resource: GroupResource, namespace: String?) async throws(APIError) -> [JSONValue]
}
