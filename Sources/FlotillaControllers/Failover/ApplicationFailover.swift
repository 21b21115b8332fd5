import FlotillaAPI
import Foundation

/// Pure: application-level failover (`spec.failover.application`). A workload reported Unhealthy on a cluster
/// (`aggregatedStatus[].health`) for at least `decisionConditions.tolerationSeconds` is evicted from it, with the
/// policy's purge mode and grace period. Healthy or Unknown resets the clock: Unknown means the member could not
/// be asked, which is cluster failover's business, not the application's.
///
/// Worked example: tolerationSeconds 30; edge-2 reports Unhealthy at 12:00:00 (first seen by the caller). At 12:00:20
/// the plan says "recheck in 10 s"; at 12:00:30 "evict edge-2". Healthy at 12:00:25 would have cleared the clock.
public enum ApplicationFailover {
    public struct Plan: Sendable, Equatable {
        public var evict: [String]
        /// The clusters reported Unhealthy now: the caller keeps when each was first seen.
        public var unhealthy: Set<String>
        public var recheckAfter: TimeInterval?
    }

    /// `unhealthySince`: when the caller first saw each cluster Unhealthy (absent: now).
    public static func plan(_ binding: ResourceBinding, now: Date, unhealthySince: [String: Date]) -> Plan {
        var plan = Plan(evict: [], unhealthy: [], recheckAfter: nil)
        guard let behavior = binding.spec.failover?.application else { return plan }
        let toleration = TimeInterval(behavior.decisionConditions?.tolerationSeconds ?? 300)
        let evicting = binding.spec.evictingClusters
        let items = Dictionary((binding.status?.aggregatedStatus ?? []).map { ($0.clusterName, $0) }, uniquingKeysWith: { a, _ in a })
        for target in binding.spec.clusters ?? [] where !evicting.contains(target.name) {
            guard items[target.name]?.health == "Unhealthy" else { continue }
            plan.unhealthy.insert(target.name)
            let left = (unhealthySince[target.name] ?? now).addingTimeInterval(toleration).timeIntervalSince(now)
            if left <= 0 { plan.evict.append(target.name) } else { plan.recheckAfter = min(plan.recheckAfter ?? left, left) }
        }
        return plan
    }

    /// The labels a state-preservation rule set reads from a cluster's reported status (rules whose path finds
    /// nothing give no label).
    public static func preservedState(_ preservation: StatePreservation?, status: JSONValue?) -> [String: String]? {
        guard let preservation, let status else { return nil }
        var labels: [String: String] = [:]
        for rule in preservation.rules {
            if let value = StatusPath(rule.jsonPath)?.read(status) { labels[rule.aliasLabelName] = value }
        }
        return labels.isEmpty ? nil : labels
    }
}
