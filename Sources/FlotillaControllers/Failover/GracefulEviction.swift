import FlotillaAPI
import Foundation

/// Pure: which of a binding's `gracefulEvictionTasks` are finished, so the old copy on that cluster can go (the
/// binding controller deletes a Work whose cluster is neither a target nor being evicted).
///
/// A task ends, in this order of precedence:
/// 1. `suppressDeletion: true` → never, until a person or tool clears it;
/// 2. the cluster is gone, or it recovered (a TaintManager task whose cluster is Ready with no NoExecute taint the
///    binding does not tolerate): the copy there is stale (karmada #5803: tasks must not outlive the failure);
/// 3. `purgeMode: Directly` → at once for a taint eviction; an application eviction's task stays for its grace
///    period as a back-off (its old copy is already gone), since nothing else keeps the healthy cluster out;
/// 4. `purgeMode: Never` → not before the cluster recovers;
/// 5. `Gracefully` (the default) → when the binding is scheduled for its current generation and every target cluster
///    reports its replicas ready (health Healthy for kinds without replicas), or when `gracePeriodSeconds`
///    (default: the controller's `--graceful-eviction-timeout`) has passed since the task was created.
public enum GracefulEviction {
    public struct Plan: Sendable, Equatable {
        /// The tasks that stay.
        public var keep: [GracefulEvictionTask]
        /// The clusters whose tasks end, with why.
        public var ended: [(cluster: String, why: String)]
        /// When the soonest grace period runs out.
        public var recheckAfter: TimeInterval?

        public static func == (a: Plan, b: Plan) -> Bool {
            a.keep == b.keep && a.ended.map(\.cluster) == b.ended.map(\.cluster) && a.ended.map(\.why) == b.ended.map(\.why)
                && a.recheckAfter == b.recheckAfter
        }
    }

    public static func plan(_ binding: ResourceBinding, clusters: [String: Cluster], now: Date, timeout: TimeInterval) -> Plan {
        var plan = Plan(keep: [], ended: [], recheckAfter: nil)
        let ready = replacementsReady(binding)
        for task in binding.spec.gracefulEvictionTasks ?? [] {
            if task.suppressDeletion == true { plan.keep.append(task); continue }
            guard let cluster = clusters[task.fromCluster] else { plan.ended.append((task.fromCluster, "the cluster left")); continue }
            if task.producer == GracefulEvictionTask.taintManager, recovered(cluster, binding: binding) {
                plan.ended.append((task.fromCluster, "the cluster recovered"))
                continue
            }
            /// Keeps the task until its grace period (or the timeout) has passed since it was made, then ends it.
            func expire(_ what: String) {
                let grace = task.gracePeriodSeconds.map(TimeInterval.init) ?? timeout
                let left = (task.creationTimestamp?.date ?? now).addingTimeInterval(grace).timeIntervalSince(now)
                if left <= 0 {
                    plan.ended.append((task.fromCluster, "the \(what) of \(Int(grace)) s passed"))
                } else {
                    plan.keep.append(task)
                    plan.recheckAfter = min(plan.recheckAfter ?? left, left)
                }
            }
            switch task.purgeMode ?? PurgeMode.gracefully {
            case PurgeMode.directly where task.producer == GracefulEvictionTask.taintManager:
                // The taint keeps the cluster out of new placements; the task has nothing left to do.
                plan.ended.append((task.fromCluster, "purge mode Directly"))
            case PurgeMode.directly:
                // The old copy went at once (the binding controller keeps no Work for a Directly task); the task stays
                // for the graceful-eviction timeout as a back-off, so the cluster the app was unhealthy on is not
                // chosen again straight away (nothing else keeps it out: its cluster is healthy).
                expire("back-off")
            case PurgeMode.never: plan.keep.append(task)
            default:
                if ready { plan.ended.append((task.fromCluster, "the replacements are ready")) } else { expire("grace period") }
            }
        }
        return plan
    }

    /// Ready and carrying no NoExecute taint the binding's placement does not tolerate indefinitely.
    static func recovered(_ cluster: Cluster, binding: ResourceBinding) -> Bool {
        guard cluster.isReady else { return false }
        let tolerations = binding.spec.placement?.clusterTolerations ?? []
        return !(cluster.spec.taints ?? []).contains { taint in
            taint.effect == "NoExecute" && !tolerations.contains { $0.tolerates(taint) && $0.tolerationSeconds == nil }
        }
    }

    /// The binding is scheduled for its current generation and each target reports all its replicas ready (or, for
    /// kinds without replicas, Healthy).
    static func replacementsReady(_ binding: ResourceBinding) -> Bool {
        guard let status = binding.status, status.schedulerObservedGeneration == binding.metadata.generation,
              status.conditions?[type: "Scheduled"]?.status == .true else { return false }
        let items = Dictionary((status.aggregatedStatus ?? []).map { ($0.clusterName, $0) }, uniquingKeysWith: { a, _ in a })
        return (binding.spec.clusters ?? []).allSatisfy { target in
            guard let item = items[target.name], item.applied == true else { return false }
            guard let replicas = target.replicas, replicas > 0, binding.spec.replicas ?? 0 > 0 else { return item.health == "Healthy" }
            return (item.status?["readyReplicas"]?.int64Value ?? 0) >= Int64(replicas)
                && (item.status?["replicas"]?.int64Value ?? 0) >= Int64(replicas)
        }
    }
}
