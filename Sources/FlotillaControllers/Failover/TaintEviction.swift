import FlotillaAPI
import Foundation

/// Pure: which of a binding's clusters its NoExecute taints evict now, and when to look again for the ones whose
/// toleration is still counting down (Kubernetes' taint-manager rule, as Karmada applies it to clusters).
///
/// For every cluster in `spec.clusters` (one already being evicted is skipped): each NoExecute taint must be
/// tolerated by `placement.clusterTolerations`. An untolerated taint evicts at once. A tolerated one with
/// `tolerationSeconds` evicts once that long has passed since the taint's `timeAdded` (the shortest matching
/// toleration counts when several match). One tolerated without `tolerationSeconds` never evicts.
///
/// Worked example: tolerations [{key: cluster.karmada.io/not-ready, effect: NoExecute, tolerationSeconds: 3}], cluster
/// edge-3 tainted not-ready:NoExecute at 12:00:00. At 12:00:02 the plan is "recheck in 1 s"; at 12:00:03 and later,
/// "evict edge-3". A second taint `maintenance:NoExecute` without a toleration would evict at once.
public enum TaintEviction {
    public struct Plan: Sendable, Equatable {
        /// Clusters to evict now, with the taint that evicts each.
        public var evict: [(cluster: String, taint: Taint)]
        /// The soonest a tolerated taint runs out, when one is counting down.
        public var recheckAfter: TimeInterval?

        public static func == (a: Plan, b: Plan) -> Bool {
            a.evict.map(\.cluster) == b.evict.map(\.cluster) && a.evict.map(\.taint) == b.evict.map(\.taint) && a.recheckAfter == b.recheckAfter
        }
    }

    /// `addedAt`: when a taint without `timeAdded` was first seen (the caller remembers it).
    public static func plan(_ binding: ResourceBinding, clusters: [String: Cluster], now: Date,
                            addedAt: (String, Taint) -> Date = { _, _ in .distantPast }) -> Plan {
        let tolerations = binding.spec.placement?.clusterTolerations ?? []
        let evicting = binding.spec.evictingClusters
        var plan = Plan(evict: [], recheckAfter: nil)
        for target in binding.spec.clusters ?? [] where !evicting.contains(target.name) {
            guard let cluster = clusters[target.name] else { continue }
            var due: Taint?
            var soonest: TimeInterval?
            for taint in cluster.spec.taints ?? [] where taint.effect == "NoExecute" {
                let matching = tolerations.filter { $0.tolerates(taint) }
                guard !matching.isEmpty else { due = taint; break }
                let limits = matching.compactMap(\.tolerationSeconds)
                // Kubernetes' getMinTolerationTime: the shortest of the given seconds; forever only when none gives any.
                guard let seconds = limits.min() else { continue }
                let added = taint.timeAdded?.date ?? addedAt(target.name, taint)
                let left = added.addingTimeInterval(TimeInterval(max(0, seconds))).timeIntervalSince(now)
                if left <= 0 { due = taint; break }
                soonest = min(soonest ?? left, left)
            }
            if let due {
                plan.evict.append((target.name, due))
            } else if let soonest {
                plan.recheckAfter = min(plan.recheckAfter ?? soonest, soonest)
            }
        }
        return plan
    }
}
