import FlotillaAPI

/// Karmada's static-weight division (`getStaticWeightInfoList`, `assignByStaticWeightStrategy`).
public enum StaticWeights {
    /// A candidate's weight is the **maximum** weight over the rules whose `targetCluster` matches it. Candidates
    /// no rule matches are dropped. If every candidate ends with weight 0, each gets weight 1.
    public static func weights(candidates: [Cluster], rules: [StaticClusterWeight]) -> [Webster.Party] {
        parties(ClusterView.of(candidates).map { RankedCluster(view: $0, score: 0, allocatable: 0, available: 0) }, rules: rules)
    }

    /// `table`: each cluster's weight by its `nameOrder`, when the snapshot has worked it out (`ClusterSnapshot`).
    static func parties(_ candidates: [RankedCluster], rules: [StaticClusterWeight], table: [Int64]? = nil) -> [Webster.Party] {
        let weigh: (ClusterView) -> Int64 = table.map { table in { table[$0.nameOrder] } } ?? weigh(rules.map(Rule.init))
        var parties: [Webster.Party] = []
        for candidate in candidates {
            let weight = weigh(candidate.view)
            if weight > 0 { parties.append(Webster.Party(name: candidate.name, votes: weight)) }
        }
        return parties.isEmpty ? candidates.map { Webster.Party(name: $0.name, votes: 1) } : parties
    }

    /// Every view's weight under `rules`, by `nameOrder`: what a snapshot keeps per rule list.
    static func table(_ views: [ClusterView], rules: [StaticClusterWeight]) -> [Int64] {
        var table = [Int64](repeating: 0, count: views.count)
        let weigh = weigh(rules.map(Rule.init))
        for view in views { table[view.nameOrder] = weigh(view) }
        return table
    }

    struct Rule {
        var affinity: CompiledAffinity
        var weight: Int64
        init(_ rule: StaticClusterWeight) {
            affinity = CompiledAffinity(rule.targetCluster)
            weight = rule.weight
        }
    }

    /// The maximum weight over the rules matching a cluster (0 when none does).
    static func weigh(_ rules: [Rule]) -> (ClusterView) -> Int64 {
        { view in
            var weight: Int64 = 0
            // The maximum: a rule that cannot raise it need not be matched.
            for rule in rules where rule.weight > weight && rule.affinity.matches(view) { weight = rule.weight }
            return weight
        }
    }

    /// Always a fresh division of `replicas` over the weights (the previous result is not an initial seat count).
    /// Zero-replica clusters are omitted.
    public static func divide(_ replicas: Int, candidates: [Cluster], rules: [StaticClusterWeight], bindingUID: String) -> [TargetCluster] {
        divide(replicas, parties: weights(candidates: candidates, rules: rules), bindingUID: bindingUID)
    }

    static func divide(_ replicas: Int, parties: [Webster.Party], bindingUID: String) -> [TargetCluster] {
        Webster.seated(replicas, among: parties, bindingUID: bindingUID).map { TargetCluster(name: $0.name, replicas: Int32(clamping: $0.seats)) }
    }

    /// Flotilla's opt-in capacity-aware static weights: divide by weight, cap each cluster at what fits, and divide the
    /// excess again by weight over the clusters that still have room, until it is placed or no room is left (then
    /// the rest stays on the weighted clusters, as Karmada would place it). Example: weights 2:1, room 3 and 10,
    /// 9 replicas → 6:3 → edge-a capped at 3, the 3 extra go to edge-b → 3:6.
    static func divideWithinCapacity(_ replicas: Int, parties: [Webster.Party], allocatable: [String: Int],
                                     bindingUID: String) -> [TargetCluster] {
        var total: [String: Int] = [:]
        var remaining = replicas
        var open = parties
        while remaining > 0, !open.isEmpty {
            var excess = 0
            for party in Webster.apportion(remaining, among: open, bindingUID: bindingUID) where party.seats > 0 {
                let room = max(0, (allocatable[party.name] ?? Int.max) - total[party.name, default: 0])
                let placed = min(room, party.seats)
                total[party.name, default: 0] += placed
                excess += party.seats - placed
            }
            remaining = excess
            open = open.filter { (allocatable[$0.name] ?? Int.max) > total[$0.name, default: 0] }
        }
        if remaining > 0 {
            // No room anywhere: the rest goes where the weights put it.
            for party in Webster.apportion(remaining, among: parties, bindingUID: bindingUID) { total[party.name, default: 0] += party.seats }
        }
        return total.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { TargetCluster(name: $0.key, replicas: Int32(clamping: $0.value)) }
    }
}
