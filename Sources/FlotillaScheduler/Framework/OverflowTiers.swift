import FlotillaAPI

extension Scheduler {
    /// Karmada's overflow tiers (`clusterAffinities[].overflowAffinities`, v1.18), for Divided workloads: each cluster
    /// belongs to the first tier whose affinity it matches (the group's own affinity is tier 0). Scaling up or
    /// placing anew, tier i takes min(remaining, Σ available replicas of its feasible clusters) through the
    /// normal strategy and passes the rest on; what is left after the last tier is unschedulable. Scaling down,
    /// tiers give replicas back in reverse order (the last overflow tier first). Duplicated placements use tier 0.
    /// Example: tiers edge (available 4) and cloud (available 100), 10 replicas → edge 4, cloud 6; then 10 → 5:
    /// cloud shrinks to 1, edge keeps 4.
    func scheduleTiers(_ context: SchedulingContext, tiers: [ClusterAffinity], clusters: ClusterSnapshot) -> Outcome {
        let strategy = context.placement.replicaScheduling
        guard strategy?.replicaSchedulingType == "Divided", context.replicas > 0 else {
            return scheduleOnce(context, clusters: clusters)
        }
        var taken = Set<String>()
        let members: [ClusterSnapshot] = tiers.map { affinity in
            let matcher = CompiledAffinity(affinity)
            let tier = clusters.views.filter { !taken.contains($0.name) && matcher.matches($0) }
            taken.formUnion(tier.map(\.name))
            return ClusterSnapshot(views: tier, caching: false)
        }
        var open = context
        open.placement.clusterAffinity = nil
        let previousTotal = context.previous.reduce(0) { $0 + Int($1.replicas ?? 0) }
        func previous(in tier: ClusterSnapshot) -> [TargetCluster] {
            let names = Set(tier.views.map(\.name))
            return context.previous.filter { names.contains($0.name) }
        }

        var targets: [Int]
        if context.replicas < previousTotal {
            targets = members.map { previous(in: $0).reduce(0) { $0 + Int($1.replicas ?? 0) } }
            var excess = previousTotal - context.replicas
            for index in targets.indices.reversed() where excess > 0 {
                let cut = min(excess, targets[index])
                targets[index] -= cut
                excess -= cut
            }
        } else {
            var remaining = context.replicas
            var available = 0
            targets = members.map { tier in
                guard remaining > 0, !tier.views.isEmpty else { return 0 }
                var attempt = open
                attempt.previous = previous(in: tier)
                guard case .success(let ranked) = rank(attempt, clusters: tier, ordered: false) else { return 0 }
                let room = ranked.clusters.reduce(0) { $0 + $1.available }
                available += room
                let share = min(remaining, room)
                remaining -= share
                return share
            }
            if remaining > 0 { return .unschedulable(DynamicDivision.Unschedulable(available: available).description) }
        }

        var result: [TargetCluster] = []
        for (tier, target) in zip(members, targets) where target > 0 {
            var attempt = open
            attempt.replicas = target
            attempt.previous = previous(in: tier)
            switch scheduleOnce(attempt, clusters: tier) {
            case .scheduled(let placed): result += placed
            case .unschedulable(let reason): return .unschedulable(reason)
            }
        }
        return .scheduled(result.sorted { $0.name < $1.name })
    }
}
