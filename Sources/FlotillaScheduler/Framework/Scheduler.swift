import FlotillaAPI

/// The scheduling pipeline: filter → score → select → assign, over a fixed, documented plugin order.
///
/// Filters run in this order and the first failure rules a cluster out: APIEnablement, TaintToleration,
/// ClusterAffinity, Latency (`PluginRegistry`). Scores are summed (each times its weight); candidates are ordered by score descending,
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
        decide(context, views: ClusterView.of(clusters))
    }

    /// Tries the placement's affinity groups in order — from the group observed last time, or from the first on a
    /// user-triggered reschedule (Fresh) or when the observed group no longer exists — and returns the first that
    /// schedules, or the last group's failure.
    ///
    /// `views`: the clusters as `ClusterView.of(_:)` made them; a caller deciding many bindings over the same
    /// clusters builds them once.
    public func decide(_ context: SchedulingContext, views clusters: [ClusterView]) -> Decision {
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

    func scheduleOnce(_ context: SchedulingContext, clusters: [ClusterView]) -> Outcome {
        // Rank order matters to spread selection and to the per-cluster minimum only; every division orders by
        // name (or by its own rule) itself, so without those the sort is skipped.
        let ordered = !(context.placement.spreadConstraints ?? []).isEmpty
            || (context.placement.replicaScheduling?.flotilla?.minReplicasPerCluster ?? 0) > 0
        let ranked: [RankedCluster]
        switch rank(context, clusters: clusters, ordered: ordered) {
        case .success(let result): ranked = result
        case .failure(let failure): return .unschedulable(failure.message)
        }
        let strategy = context.placement.replicaScheduling
        let duplicated = strategy == nil || strategy?.replicaSchedulingType == "Duplicated"
        let staticWeights = !duplicated && (strategy?.replicaDivisionPreference ?? "Weighted") == "Weighted"
            && strategy?.weightPreference?.dynamicWeight == nil && context.latency?.divideByDemand != true
        var selected = ranked
        if !staticWeights, context.replicas > 0 || duplicated {
            switch SpreadSelection.select(ranked, constraints: context.placement.spreadConstraints ?? [], replicas: context.replicas,
                                          duplicated: duplicated) {
            case .success(let clusters): selected = clusters
            case .failure(let failure): return .unschedulable(failure.description)
            }
        }
        return assign(context, candidates: selected)
    }

    struct NoFit: Error { var message: String }

    /// Filter and score: the feasible clusters in Karmada's order, or the fit error.
    /// Clusters are shared views, never copied: a decision over 1,000 clusters must not move 1,000 of them.
    func rank(_ context: SchedulingContext, clusters: [ClusterView], ordered: Bool = true) -> Result<[RankedCluster], NoFit> {
        var compiled = context
        compiled.affinityMatcher = context.placementAffinity.map(CompiledAffinity.init)
        let context = compiled  // immutable from here: the closures below borrow it instead of copying it per call
        // Few distinct reasons: a short list compares them faster than a dictionary hashes them.
        var failures: [(reason: String, count: Int)] = []
        // Filter by filter over the survivors (the same first failure per cluster as cluster by cluster): each
        // plugin is taken out of its existential box once per decision, not once per cluster.
        var feasible = clusters.filter { !$0.deleting }
        for filter in filters where !feasible.isEmpty {
            feasible.removeAll { view in
                guard let failed = filter.filter(context, view) else { return false }
                if let at = failures.firstIndex(where: { $0.reason == failed.reason }) {
                    failures[at].count += 1
                } else {
                    failures.append((failed.reason, 1))
                }
                return true
            }
        }
        guard !feasible.isEmpty else {
            let reasons = failures.sorted { $0.reason < $1.reason }.map { "\($0.count) \($0.reason)" }.joined(separator: ", ")
            return .failure(NoFit(message: "0/\(clusters.count) clusters are available: \(reasons.isEmpty ? "no cluster exists" : reasons)."))
        }
        let assigned = Dictionary(context.previous.map { ($0.name, Int($0.replicas ?? 0)) }, uniquingKeysWith: +)
        let request = GeneralEstimator.PreparedRequest(context.replicaRequest)
        var scores = [Int](repeating: 0, count: feasible.count)
        for (plugin, weight) in scorers {
            for index in feasible.indices { scores[index] += plugin.score(context, feasible[index]) * weight }
        }
        let ranked = feasible.indices.map { index in
            let view = feasible[index]
            // Unknown capacity counts as the whole request.
            let allocatable = GeneralEstimator.maxAvailableReplicas(view, request: request) ?? context.replicas
            return RankedCluster(view: view, score: scores[index], allocatable: allocatable,
                                 available: allocatable + (assigned.isEmpty ? 0 : assigned[view.name] ?? 0))
        }
        return .success(ordered ? RankedCluster.sorted(ranked) : ranked)
    }

    /// Divides the replicas, with Flotilla's `replicaScheduling.flotilla` options around the strategy: a minimum per
    /// selected cluster is set aside first (in rank order, while replicas last) and the rest divided as usual.
    /// `candidates`: the selected clusters with the replicas that still fit in each.
    func assign(_ context: SchedulingContext, candidates: [RankedCluster]) -> Outcome {
        let strategy = context.placement.replicaScheduling
        let minimum = Int(strategy?.flotilla?.minReplicasPerCluster ?? 0)
        guard minimum > 0, strategy?.replicaSchedulingType == "Divided", context.replicas > 0 else {
            return divide(context, candidates: candidates)
        }
        // Static weights only place on clusters some rule gives weight; the floor applies to those.
        var eligible = candidates
        if let rules = strategy?.weightPreference?.staticWeightList, strategy?.weightPreference?.dynamicWeight == nil {
            let weighted = Set(StaticWeights.weights(candidates: candidates.map(\.view), rules: rules).map(\.name))
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
            switch divide(rest, candidates: room) {
            case .scheduled(let targets): for target in targets { total[target.name, default: 0] += Int(target.replicas ?? 0) }
            case .unschedulable(let reason): return .unschedulable(reason)
            }
        }
        return .scheduled(total.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            .map { TargetCluster(name: $0.key, replicas: Int32(clamping: $0.value)) })
    }

    func divide(_ context: SchedulingContext, candidates: [RankedCluster]) -> Outcome {
        let names = candidates.map(\.name)
        let strategy = context.placement.replicaScheduling
        // Non-workloads (no replicas) and Duplicated go everywhere selected.
        if context.replicas == 0 || strategy == nil || strategy?.replicaSchedulingType == "Duplicated" {
            return .scheduled(names.sorted().map { TargetCluster(name: $0, replicas: Int32(clamping: context.replicas)) })
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
            let rules = weights?.staticWeightList ?? names.map {
                StaticClusterWeight(targetCluster: ClusterAffinity(clusterNames: [$0]), weight: 1)
            }
            if strategy?.flotilla?.capacityAwareStaticWeights == true {
                return .scheduled(StaticWeights.divideWithinCapacity(context.replicas, candidates: candidates.map(\.view), rules: rules,
                    allocatable: Dictionary(candidates.map { ($0.name, $0.allocatable) }, uniquingKeysWith: { a, _ in a }),
                    bindingUID: context.bindingUID))
            }
            return .scheduled(StaticWeights.divide(context.replicas, candidates: candidates.map(\.view), rules: rules,
                                                   bindingUID: context.bindingUID))
        }
        do {
            let result = try DynamicDivision.divide(context.replicas,
                candidates: candidates.map { DynamicDivision.Candidate(name: $0.name, allocatable: $0.allocatable) },
                previous: context.previous, mode: context.fresh ? .fresh : .steady, aggregated: preference == "Aggregated",
                bindingUID: context.bindingUID)
            return .scheduled(result)
        } catch {
            return .unschedulable(error.description)
        }
    }
}
