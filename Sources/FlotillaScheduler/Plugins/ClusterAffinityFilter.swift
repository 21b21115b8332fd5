import FlotillaAPI

/// `ClusterAffinity`: the placement's cluster affinity (or the first affinity group) must match.
public struct ClusterAffinityFilter: FilterPlugin {
    public let name = "ClusterAffinity"
    static let reason = "cluster(s) did not match the placement cluster affinity constraint"
    public init() {}

    public func filter(_ context: SchedulingContext, _ cluster: ClusterView) -> FilterFailure? {
        guard let matcher = context.affinityMatcher ?? context.placementAffinity.map(CompiledAffinity.init), !matcher.matches(cluster) else {
            return nil
        }
        return FilterFailure(plugin: name, reason: Self.reason)
    }
}
