import FlotillaAPI

/// Karmada's static-weight division (`getStaticWeightInfoList`, `assignByStaticWeightStrategy`).
public enum StaticWeights {
    /// A candidate's weight is the **maximum** weight over the rules whose `targetCluster` matches it. Candidates
    /// no rule matches are dropped. If every candidate ends with weight 0, each gets weight 1.
    public static func weights(candidates: [Cluster], rules: [StaticClusterWeight]) -> [Webster.Party] {
        weights(candidates: ClusterView.of(candidates), rules: rules)
    }

    static func weights(candidates: [ClusterView], rules: [StaticClusterWeight]) -> [Webster.Party] {
        var parties: [Webster.Party] = []
        parties.reserveCapacity(candidates.count)
        let compiled = rules.map { (affinity: CompiledAffinity($0.targetCluster), weight: $0.weight) }
        for view in candidates {
            var weight: Int64 = 0
            // The maximum: a rule that cannot raise it need not be matched.
            for rule in compiled where rule.weight > weight && rule.affinity.matches(view) { weight = rule.weight }
            parties.append(Webster.Party(name: view.name, votes: weight))
        }
        if parties.allSatisfy({ $0.votes == 0 }) {
            return parties.map { Webster.Party(name: $0.name, votes: 1) }
        }
        return parties.filter { $0.votes > 0 }
    }

    /// Always a fresh division of `replicas` over the weights (the previous result is not an initial seat count).
    /// Zero-replica clusters are omitted.
    public static func divide(_ replicas: Int, candidates: [Cluster], rules: [StaticClusterWeight], bindingUID: String) -> [TargetCluster] {
        divide(replicas, candidates: ClusterView.of(candidates), rules: rules, bindingUID: bindingUID)
    }

    static func divide(_ replicas: Int, candidates: [ClusterView], rules: [StaticClusterWeight], bindingUID: String) -> [TargetCluster] {
        Webster.seated(replicas, among: weights(candidates: candidates, rules: rules), bindingUID: bindingUID)
            .map { TargetCluster(name: $0.name, replicas: Int32(clamping: $0.seats)) }
    }

    /// Flotilla's opt-in capacity-aware static weights: divide by weight, cap each cluster at what fits, and divide the
    /// excess again by weight over the clusters that still have room, until it is placed or no room is left (then
    /// the rest stays on the weighted clusters, as Karmada would place it). Example: weights 2:1, room 3 and 10,
    /// 9 replicas → 6:3 → edge-a capped at 3, the 3 extra go to edge-b → 3:6.
    static func divideWithinCapacity(_ replicas: Int, candidates: [ClusterView], rules: [StaticClusterWeight],
                                     allocatable: [String: Int], bindingUID: String) -> [TargetCluster] {
        let parties = weights(candidates: candidates, rules: rules)
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
