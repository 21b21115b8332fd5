import FlotillaAPI

/// `Latency` score (Flotilla, with an AppProfile): how well a cluster serves the app's users, 0–100. Each area
/// contributes its share of the users times how far inside the budget the cluster is from there
/// ((budget − rtt) / budget, 0 at or beyond the budget); without a budget, 100 × min rtt / rtt.
/// Example: 30 users at 10 ms and 10 users at 40 ms, budget 30 ms → (30·(20/30) + 10·0) / 40 = 0.5 → 50.
public struct LatencyScore: ScorePlugin {
    public let name = "Latency"
    public init() {}

    public func score(_ context: SchedulingContext, _ cluster: ClusterView) -> Int {
        guard let latency = context.latency else { return ClusterScore.min }
        let name = cluster.name
        let areas = latency.areas
        let users = areas.reduce(0) { $0 + $1.ues }
        guard users > 0 else { return ClusterScore.min }
        var total = 0.0
        for area in areas {
            guard let rtt = latency.rtt(area: area.name, cluster: name) else { continue }
            let closeness: Double
            if let budget = latency.budgetMs {
                closeness = max(0, (budget - rtt) / budget)
            } else {
                let best = latency.rtt[area.name]?.values.min() ?? rtt
                closeness = rtt > 0 ? min(1, best / rtt) : 1
            }
            total += Double(area.ues) * closeness
        }
        return Int((Double(ClusterScore.max) * total / Double(users)).rounded())
    }
}
