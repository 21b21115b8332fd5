import FlotillaAPI
import FlotillaScheduler

/// Pure: the taints a cluster should carry under the ClusterTaintPolicies, given its conditions.
///
/// Policies are applied in name order. For each policy whose `targetClusters` match the cluster (absent: every
/// cluster): when every `addOnConditions` entry matches, its taints are added (a taint already present keeps its
/// `timeAdded`, so a toleration's countdown is not restarted by each status write); otherwise, when every
/// `removeOnConditions` entry matches, they are removed. When neither list matches the taints stay as they are:
/// a cluster between the two states (Ready Unknown while the policy removes on True) is not flapped.
///
/// Worked example: policy "not-ready" adds `cluster.karmada.io/not-ready:NoExecute` on Ready NotIn [True] and
/// removes it on Ready In [True]. A cluster whose Ready goes False gets the taint with timeAdded = now; when Ready
/// returns to True the taint goes. Taints no policy names (the built-in NoSchedule ones, `flotilla taint`) are never
/// touched.
public enum ClusterTaintRules {
    /// The cluster's taints after the policies, or nil when they do not change.
    public static func taints(for cluster: Cluster, policies: [ClusterTaintPolicy], now: Timestamp) -> [Taint]? {
        let conditions = cluster.status?.conditions ?? []
        var taints = cluster.spec.taints ?? []
        for policy in policies.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            guard policy.metadata.deletionTimestamp == nil, policy.spec.targetClusters.map({ $0.matches(cluster) }) ?? true else { continue }
            let add = policy.spec.addOnConditions ?? [], remove = policy.spec.removeOnConditions ?? []
            if !add.isEmpty, add.allSatisfy({ $0.matches(conditions) }) {
                for wanted in policy.spec.taints where !taints.contains(where: wanted.isSame) {
                    taints.append(Taint(key: wanted.key, value: wanted.value, effect: wanted.effect, timeAdded: now))
                }
            } else if !remove.isEmpty, remove.allSatisfy({ $0.matches(conditions) }) {
                taints.removeAll { taint in policy.spec.taints.contains { $0.isSame(as: taint) } }
            }
        }
        return taints == (cluster.spec.taints ?? []) ? nil : taints
    }
}
