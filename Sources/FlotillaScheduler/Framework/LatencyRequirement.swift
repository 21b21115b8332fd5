import FlotillaAPI

/// What an AppProfile and the latency matrices ask of placement, resolved for one binding: the budget, where the
/// users are, and the round trip from each area to each cluster. Absent when no AppProfile selects the workload.
public struct LatencyRequirement: Sendable, Hashable {
    public var budgetMs: Double?
    /// Area → UEs of this app there.
    public var demand: [String: Int]
    /// Area → cluster → ms.
    public var rtt: [String: [String: Double]]
    /// The AppProfile asked for demand-weighted division.
    public var divideByDemand: Bool

    public init(budgetMs: Double?, demand: [String: Int], rtt: [String: [String: Double]], divideByDemand: Bool = false) {
        self.budgetMs = budgetMs
        self.demand = demand
        self.rtt = rtt
        self.divideByDemand = divideByDemand
    }

    public init(profile: AppProfile, matrices: [LatencyMatrix]) {
        self.init(budgetMs: profile.spec.latencyBudgetMs, demand: profile.effectiveDemand, rtt: LatencyMatrix.merged(matrices),
            divideByDemand: profile.spec.placement?.replicaDivision == "DemandWeighted")
    }

    /// The areas that matter, sorted: those with users, or every area of the matrix when there is no demand yet.
    public var areas: [(name: String, ues: Int)] {
        let withUsers = demand.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { (name: $0.key, ues: $0.value) }
        if !withUsers.isEmpty { return withUsers }
        return rtt.keys.sorted().map { (name: $0, ues: 1) }
    }

    public func rtt(area: String, cluster: String) -> Double? { rtt[area]?[cluster] }

    /// The profile that selects a workload, if any: explicit name over label selector, then the profile's name.
    public static func profile(for resource: ObjectReference, labels: [String: String], in profiles: [AppProfile]) -> AppProfile? {
        var best: (AppProfile, Int)?
        for profile in profiles where profile.metadata.namespace == resource.namespace || resource.namespace == nil {
            for selector in profile.spec.workloads {
                guard selector.apiVersion == resource.apiVersion, selector.kind == resource.kind else { continue }
                if let name = selector.name, name != resource.name { continue }
                if let labelSelector = selector.labelSelector, !labelSelector.matches(labels) { continue }
                let specificity = selector.name != nil ? 2 : 1
                if best == nil || specificity > best!.1
                    || (specificity == best!.1 && (profile.metadata.name ?? "") < (best!.0.metadata.name ?? "")) {
                    best = (profile, specificity)
                }
            }
        }
        return best?.0
    }
}
