import FlotillaAPI

/// The scheduling pipeline: filter → score → select → assign, over a fixed, documented plugin order.
///
/// Filters run in this order and the first failure rules a cluster out: APIEnablement, TaintToleration,
/// ClusterAffinity, ClusterEviction, Latency (`PluginRegistry`). Scores are summed (each times its weight); candidates are ordered by score descending,
/// available replicas (allocatable plus what the binding already has there) descending, then name ascending.
/// Spread constraints then select among them (`SpreadSelection`; skipped for static weights), and the strategy
/// divides the replicas. Placements with `clusterAffinities` run the pipeline once per group (`decide`).
/// Clusters being deleted are skipped before filtering.
public struct Scheduler: Sendable {
    public var filters: [any FilterPlugin]
    public var scorers: [(plugin: any ScorePlugin, weight: Int)]

    public init(filters: [any FilterPlugin] = PluginRegistry.filters,
                scorers: [(plugin: any ScorePlugin, weight: Int)] = PluginRegistry.scorers.map { (plugin: $0, weight: 1) }) {
        self.filters = filters
        self.scorers = scorers
    }

    public enum Outcome: Sendable, Equatable {
        case scheduled([TargetCluster])
        /// Karmada's wording: `0/N clusters are available: <reasons>.` or the division's reason.
        case unschedulable(String)
    }

    /// A decision: the outcome and, for placements with `clusterAffinities`, the affinity group that produced it
    /// (written to `status.schedulerObservingAffinityName`).
    public struct Decision: Sendable, Equatable {
        public var outcome: Outcome
        public var affinityName: String?
    }

    public func schedule(_ context: SchedulingContext, clusters: [Cluster]) -> Outcome {
        decide(context, clusters: clusters).outcome
    }

    public func decide(_ context: SchedulingContext, clusters: [Cluster]) -> Decision {
        decide(context, snapshot: ClusterSnapshot(clusters))
    }

    public func decide(_ context: SchedulingContext, views: [ClusterView]) -> Decision {
        decide(context, snapshot: ClusterSnapshot(views: views, caching: false))
    }

    /// Tries the placement's affinity groups in order — from the group observed last time, or from the first on a
    /// user-triggered reschedule (Fresh) or when the observed group no longer exists — and returns the first that
    /// schedules, or the last group's failure.
    ///
    /// `snapshot`: the clusters; a caller deciding many bindings over the same clusters makes one snapshot for all of
    /// them, so bindings sharing a placement share its filtering and scoring.
    public func decide(_ context: SchedulingContext, snapshot clusters: ClusterSnapshot) -> Decision {
        guard let terms = context.placement.clusterAffinities, !terms.isEmpty, context.placement.clusterAffinity == nil else {
            return Decision(outcome: scheduleOnce(context, clusters: clusters), affinityName: nil)
        }
        let observed = context.fresh ? nil : context.observedAffinityName.flatMap { name in terms.firstIndex { $0.affinityName == name } }
        var last = Outcome.unschedulable("no cluster affinity group")
        for term in terms[(observed ?? 0)...] {
            var attempt = context
            attempt.placement.clusterAffinity = term.affinity
            attempt.placement.clusterAffinities = nil
            let overflow = (term.overflowAffinities ?? []).map(\.affinity)
            last = overflow.isEmpty ? scheduleOnce(attempt, clusters: clusters)
                : scheduleTiers(attempt, tiers: [term.affinity] + overflow, clusters: clusters)
            if case .scheduled = last { return Decision(outcome: last, affinityName: term.affinityName) }
        }
        return Decision(outcome: last, affinityName: nil)
    }

    func scheduleOnce(_ context: SchedulingContext, clusters: ClusterSnapshot) -> Outcome {
        // Rank order matters to spread selection and to the per-cluster minimum only; every division orders by
        // name (or by its own rule) itself, so without those the sort is skipped.
        let ordered = !(context.placement.spreadConstraints ?? []).isEmpty
            || (context.placement.replicaScheduling?.flotilla?.minReplicasPerCluster ?? 0) > 0
        let ranked: Ranked
        switch rank(context, clusters: clusters, ordered: ordered) {
        case .success(let result): ranked = result
        case .failure(let failure): return .unschedulable(failure.message)
        }
        let strategy = context.placement.replicaScheduling
        let duplicated = strategy == nil || strategy?.replicaSchedulingType == "Duplicated"
        let staticWeights = !duplicated && (strategy?.replicaDivisionPreference ?? "Weighted") == "Weighted"
            && strategy?.weightPreference?.dynamicWeight == nil && context.latency?.divideByDemand != true
        let constraints = context.placement.spreadConstraints ?? []
        guard !staticWeights, context.replicas > 0 || duplicated, !constraints.isEmpty else {
            if let shared = ranked.shared, let outcome = divideFromRanking(context, shared, clusters: clusters) { return outcome }
            return assign(context, candidates: ranked.clusters, clusters: clusters, shared: ranked.shared)
        }
        let groups = { (constraint: SpreadConstraint) -> [SpreadSelection.Members]? in
            guard let grouping = clusters.grouping(constraint) else { return nil }
            return ranked.shared?.groups(constraint, grouping: grouping) ?? SpreadSelection.members(ranked.clusters, grouping: grouping)
        }
        switch SpreadSelection.select(ranked.clusters, constraints: constraints, replicas: context.replicas, duplicated: duplicated,
                                      groups: groups) {
        case .success(let selected): return assign(context, candidates: selected, clusters: clusters, shared: nil)
        case .failure(let failure): return .unschedulable(failure.description)
        }
    }

    /// Ranked clusters; `shared`: the class's ranking when they are exactly its list (nothing of this binding's own
    /// changed them), so what it has worked out about that list applies — and the list is made only when asked for.
    struct Ranked {
        private let own: [RankedCluster]?
        let shared: Ranking?
        let ordered: Bool

        init(own: [RankedCluster]) {
            self.own = own
            self.shared = nil
            self.ordered = false
        }

        init(shared: Ranking, ordered: Bool) {
            self.own = nil
            self.shared = shared
            self.ordered = ordered
        }

        var clusters: [RankedCluster] { own ?? (ordered ? shared?.byRank : shared?.feasible) ?? [] }
    }

    /// Divides the replicas, with Flotilla's `replicaScheduling.flotilla` options around the strategy: a minimum per
    /// selected cluster is set aside first (in rank order, while replicas last) and the rest divided as usual.
    /// `candidates`: the selected clusters with the replicas that still fit in each.
    func assign(_ context: SchedulingContext, candidates: [RankedCluster], clusters: ClusterSnapshot, shared: Ranking? = nil) -> Outcome {
        let strategy = context.placement.replicaScheduling
        let minimum = Int(strategy?.flotilla?.minReplicasPerCluster ?? 0)
        guard minimum > 0, strategy?.replicaSchedulingType == "Divided", context.replicas > 0 else {
            return divide(context, candidates: candidates, clusters: clusters, shared: shared)
        }
        // Static weights only place on clusters some rule gives weight; the floor applies to those.
        var eligible = candidates
        if let rules = strategy?.weightPreference?.staticWeightList, strategy?.weightPreference?.dynamicWeight == nil {
            let weighted = Set(StaticWeights.parties(candidates, rules: rules, table: clusters.staticWeights(rules)).map(\.name))
            eligible = candidates.filter { weighted.contains($0.name) }
        }
        var floor: [String: Int] = [:]
        var remaining = context.replicas
        for cluster in eligible where remaining > 0 {
            let share = min(minimum, remaining)
            floor[cluster.name, default: 0] = share
            remaining -= share
        }
        var rest = context
        rest.replicas = remaining
        let room = candidates.map { candidate in
            var left = candidate
            left.allocatable = max(0, candidate.allocatable - (floor[candidate.name] ?? 0))
            return left
        }
        var total = floor
        if remaining > 0 {
            switch divide(rest, candidates: room, clusters: clusters) {
            case .scheduled(let targets): for target in targets { total[target.name, default: 0] += Int(target.replicas ?? 0) }
            case .unschedulable(let reason): return .unschedulable(reason)
            }
        }
        return .scheduled(total.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            .map { TargetCluster(name: $0.key, replicas: Int32(clamping: $0.value)) })
    }

    /// The divisions that need a few of a class's clusters, not its list: static weights (the weighted clusters) and
    /// a first dynamic division (the contenders by capacity). The answer `assign` gives, or nil for every other case.
    func divideFromRanking(_ context: SchedulingContext, _ ranking: Ranking, clusters: ClusterSnapshot) -> Outcome? {
        let strategy = context.placement.replicaScheduling
        guard context.replicas > 0, let strategy, strategy.replicaSchedulingType == "Divided", context.latency?.divideByDemand != true,
              (strategy.flotilla?.minReplicasPerCluster ?? 0) == 0 else { return nil }
        let preference = strategy.replicaDivisionPreference ?? "Weighted"
        guard preference == "Weighted" else { return nil }
        if strategy.weightPreference?.dynamicWeight == nil {
            let rules = strategy.weightPreference?.staticWeightList ?? []
            guard strategy.flotilla?.capacityAwareStaticWeights != true, let table = clusters.staticWeights(rules),
                  let parties = ranking.staticParties(table: table, weighted: clusters.weightedPositions(rules), views: clusters.views)
            else { return nil }
            return .scheduled(StaticWeights.divide(context.replicas, parties: parties, bindingUID: context.bindingUID))
        }
        guard context.previous.isEmpty, context.replicas <= DynamicDivision.contenderLimit else { return nil }
        do throws(DynamicDivision.Unschedulable) {
            return .scheduled(try DynamicDivision.firstDivision(context.replicas, ranked: [], byCapacity: ranking.byCapacity,
                                                                bindingUID: context.bindingUID))
        } catch {
            return .unschedulable(error.description)
        }
    }

    /// `shared`: the class's ranking when `candidates` are exactly its list.
    func divide(_ context: SchedulingContext, candidates: [RankedCluster], clusters: ClusterSnapshot, shared: Ranking? = nil) -> Outcome {
        let strategy = context.placement.replicaScheduling
        // Non-workloads (no replicas) and Duplicated go everywhere selected.
        if context.replicas == 0 || strategy == nil || strategy?.replicaSchedulingType == "Duplicated" {
            return .scheduled(RankedCluster.byName(candidates).map { TargetCluster(name: $0.name, replicas: Int32(clamping: context.replicas)) })
        }
        // Flotilla's extension: an AppProfile asking for DemandWeighted divides by where the users are.
        if let latency = context.latency, latency.divideByDemand {
            do {
                return .scheduled(try DemandDivision.divide(context.replicas,
                    candidates: candidates.map { DemandDivision.Candidate(name: $0.name, allocatable: $0.allocatable) },
                    latency: latency, bindingUID: context.bindingUID))
            } catch {
                return .unschedulable(error.description)
            }
        }
        let preference = strategy?.replicaDivisionPreference ?? "Weighted"
        let weights = strategy?.weightPreference
        if preference == "Weighted", weights?.dynamicWeight == nil {
            // No rules: no cluster has weight, so each gets 1 — equal weights.
            let rules = weights?.staticWeightList ?? []
            let parties = StaticWeights.parties(candidates, rules: rules, table: clusters.staticWeights(rules))
            if strategy?.flotilla?.capacityAwareStaticWeights == true {
                return .scheduled(StaticWeights.divideWithinCapacity(context.replicas, parties: parties,
                    allocatable: Dictionary(candidates.map { ($0.name, $0.allocatable) }, uniquingKeysWith: { a, _ in a }),
                    bindingUID: context.bindingUID))
            }
            return .scheduled(StaticWeights.divide(context.replicas, parties: parties, bindingUID: context.bindingUID))
        }
        do throws(DynamicDivision.Unschedulable) {
            let aggregated = preference == "Aggregated"
            if context.previous.isEmpty, !aggregated, context.replicas <= DynamicDivision.contenderLimit {
                return .scheduled(try DynamicDivision.firstDivision(context.replicas, ranked: candidates, byCapacity: shared?.byCapacity,
                                                                    bindingUID: context.bindingUID))
            }
            return .scheduled(try DynamicDivision.divide(context.replicas,
                candidates: candidates.map { DynamicDivision.Candidate(name: $0.name, allocatable: $0.allocatable) },
                previous: context.previous, mode: context.fresh ? .fresh : .steady, aggregated: aggregated,
                bindingUID: context.bindingUID))
        } catch {
            return .unschedulable(error.description)
        }
    }
}
