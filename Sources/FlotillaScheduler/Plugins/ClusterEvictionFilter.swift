import FlotillaAPI

/// `ClusterEviction`: a cluster the binding is being evicted from (listed in `spec.gracefulEvictionTasks`) is not a
/// candidate, even while its taint is still tolerated or its old copy still runs there. Without it a Divided
/// binding could be given its lost replicas back on the very cluster it is leaving.
public struct ClusterEvictionFilter: FilterPlugin {
    public let name = "ClusterEviction"
    public init() {}

    public func filter(_ context: SchedulingContext, _ cluster: ClusterView) -> FilterFailure? {
        context.evicting.contains(cluster.name) ? FilterFailure(plugin: name, reason: "cluster(s) is in the process of eviction") : nil
    }
}
