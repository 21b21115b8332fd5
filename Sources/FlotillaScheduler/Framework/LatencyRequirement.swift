import FlotillaAPI

/// What an AppProfile and the latency matrices ask of placement, resolved for one binding: the budget, where the
/// users are, and the round trip from each area to each cluster. Absent when no AppProfile selects the workload.
public struct LatencyRequirement: Sendable, Hashable {
    public struct Area: Sendable, Hashable {
        public var name: String
        public var ues: Int
    }

    public let budgetMs: Double?
    /// Area → UEs of this app there.
    public let demand: [String: Int]
    /// Area → cluster → ms.
    public let rtt: [String: [String: Double]]
    /// The AppProfile asked for demand-weighted division.
    public let divideByDemand: Bool
    /// The areas that matter, sorted by name: those with users, or every area of the matrix (weight 1) when there is
    /// no demand yet. Worked out once: the filter and score read it for every cluster.
    public let areas: [Area]

    public init(budgetMs: Double?, demand: [String: Int], rtt: [String: [String: Double]], divideByDemand: Bool = false) {
        self.budgetMs = budgetMs
        self.demand = demand
        self.rtt = rtt
        self.divideByDemand = divideByDemand
        let withUsers = demand.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { Area(name: $0.key, ues: $0.value) }
        areas = withUsers.isEmpty ? rtt.keys.sorted().map { Area(name: $0, ues: 1) } : withUsers
    }

    public init(profile: AppProfile, matrices: [LatencyMatrix]) {
        self.init(profile: profile, rtt: LatencyMatrix.merged(matrices))
    }

    /// With the matrices already merged (the scheduling loop merges them once per pass).
    public init(profile: AppProfile, rtt: [String: [String: Double]]) {
        self.init(budgetMs: profile.spec.latencyBudgetMs, demand: profile.effectiveDemand, rtt: rtt,
            divideByDemand: profile.spec.placement?.replicaDivision == "DemandWeighted")
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
