import FlotillaAPI

/// `Latency` (Flotilla, with an AppProfile): drops clusters that cannot meet the app's round-trip budget for any
/// area where it has users (any area of the matrices when demand is not known yet). A cluster missing from the
/// matrices for every such area is dropped too: its latency is unknown. Without a profile or budget it passes all.
public struct LatencyFilter: FilterPlugin {
    public let name = "Latency"
    public init() {}

    public func filter(_ context: SchedulingContext, _ cluster: ClusterView) -> FilterFailure? {
        guard let latency = context.latency, let budget = latency.budgetMs else { return nil }
        let name = cluster.name
        let areas = latency.areas
        if areas.isEmpty { return nil }
        if areas.contains(where: { (latency.rtt(area: $0.name, cluster: name) ?? .infinity) <= budget }) { return nil }
        return FilterFailure(plugin: self.name, reason: "cluster(s) cannot meet the \(Self.format(budget)) ms latency budget from any demand area")
    }

    static func format(_ ms: Double) -> String { ms == ms.rounded() ? String(Int(ms)) : String(ms) }
}
