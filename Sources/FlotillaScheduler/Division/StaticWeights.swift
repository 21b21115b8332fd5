import FlotillaAPI

/// Karmada's static-weight division (`getStaticWeightInfoList`, `assignByStaticWeightStrategy`).
public enum StaticWeights {
    /// A candidate's weight is the **maximum** weight over the rules whose `targetCluster` matches it. Candidates
    /// no rule matches are dropped. If every candidate ends with weight 0, each gets weight 1.
    public static func weights(candidates: [Cluster], rules: [StaticClusterWeight]) -> [Webster.Party] {
        var parties: [Webster.Party] = []
        for cluster in candidates {
            let weight = rules.filter { $0.targetCluster.matches(cluster) }.map(\.weight).max() ?? 0
            parties.append(Webster.Party(name: cluster.metadata.name ?? "", votes: weight))
        }
        if parties.allSatisfy({ $0.votes == 0 }) {
            return parties.map { Webster.Party(name: $0.name, votes: 1) }
        }
        return parties.filter { $0.votes > 0 }
    }

    /// Always a fresh division of `replicas` over the weights (the previous result is not an initial seat count).
    /// Zero-replica clusters are omitted.
    public static func divide(_ replicas: Int, candidates: [Cluster], rules: [StaticClusterWeight], bindingUID: String) -> [TargetCluster] {
        Webster.apportion(replicas, among: weights(candidates: candidates, rules: rules), bindingUID: bindingUID)
            .filter { $0.seats > 0 }
            .map { TargetCluster(name: $0.name, replicas: Int32(clamping: $0.seats)) }
    }
}
