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
    /// changed them), so what it has worked out about that list applies.
    struct Ranked {
        var clusters: [RankedCluster]
        var shared: Ranking?
    }

    struct NoFit: Error { var message: String }

    /// Filter and score: the feasible clusters (in rank order when `ordered`), or the fit error.
    /// Clusters are shared views, never copied: a decision over 1,000 clusters must not move 1,000 of them.
    func rank(_ context: SchedulingContext, clusters: ClusterSnapshot, ordered: Bool = true) -> Result<Ranked, NoFit> {
        var compiled = context
        compiled.affinityMatcher = context.placementAffinity.map(CompiledAffinity.init)
        let context = compiled  // immutable from here: the closures below borrow it instead of copying it per call
        guard clusters.caching, context.latency == nil else {
            let filtered = filter(context, clusters.views)
            let ranked = score(context, clusters.views, positions: filtered.survivors).ranked
            return fit(ranked, failures: filtered.failures, total: clusters.views.count, ordered: ordered).map { Ranked(clusters: $0) }
        }
        let ranking = clusters.ranking(for: RankingKey(context)) {
            var anew = context
            anew.previous = []
            let filtered = filter(anew, clusters.views)
            let (ranked, unknown) = score(anew, clusters.views, positions: filtered.survivors, unknownCapacity: 0)
            var feasibleAt = [Int32](repeating: -1, count: clusters.views.count)
            for (index, position) in filtered.survivors.enumerated() { feasibleAt[position] = Int32(index) }
            return Ranking(feasible: ranked, failures: filtered.failures, failedBy: filtered.failedBy, feasibleAt: feasibleAt,
                           unknownCapacity: unknown)
        }
        if context.previous.isEmpty, ranking.unknownCapacity.isEmpty || context.replicas == 0 {
            return fit(ordered ? ranking.byRank : ranking.feasible, failures: ranking.failures, total: clusters.views.count, ordered: false)
                .map { Ranked(clusters: $0, shared: ranking) }
        }
        return adjusted(ranking, for: context, clusters: clusters, ordered: ordered).map { Ranked(clusters: $0) }
    }

    /// The class's ranking made this binding's: its previous clusters filtered and scored again with the previous
    /// result in the context, and clusters of unknown capacity given its replica count.
    func adjusted(_ ranking: Ranking, for context: SchedulingContext, clusters: ClusterSnapshot, ordered: Bool) -> Result<[RankedCluster], NoFit> {
        var feasible = ranking.feasible
        var failures = ranking.failures
        for index in ranking.unknownCapacity {
            feasible[index].allocatable = context.replicas
            feasible[index].available = context.replicas
        }
        var positions = Set<Int>()
        for target in context.previous { if let position = clusters.positions[target.name] { positions.insert(position) } }
        var dropped: [Int] = []
        for position in positions.sorted() where !clusters.views[position].deleting {
            let was = Int(ranking.feasibleAt[position])
            if was < 0 { failures[Int(ranking.failedBy[position])].count -= 1 }
            if let failure = firstFailure(context, clusters.views[position]) {
                Self.count(failure.reason, in: &failures)
                if was >= 0 { dropped.append(was) }
            } else if let again = score(context, clusters.views, positions: [position]).ranked.first {
                if was >= 0 { feasible[was] = again } else { feasible.append(again) }
            }
        }
        for index in dropped.sorted(by: >) { feasible.remove(at: index) }
        return fit(feasible, failures: failures, total: clusters.views.count, ordered: ordered)
    }

    func fit(_ ranked: [RankedCluster], failures: [FailureCount], total: Int, ordered: Bool) -> Result<[RankedCluster], NoFit> {
        guard ranked.isEmpty else { return .success(ordered ? RankedCluster.sorted(ranked) : ranked) }
        let reasons = failures.filter { $0.count > 0 }.sorted { $0.reason < $1.reason }.map { "\($0.count) \($0.reason)" }
            .joined(separator: ", ")
        return .failure(NoFit(message: "0/\(total) clusters are available: \(reasons.isEmpty ? "no cluster exists" : reasons)."))
    }

    /// Runs the filters filter by filter over the survivors (the same first failure per cluster as cluster by
    /// cluster, each plugin taken out of its existential box once per decision, not once per cluster). Clusters
    /// being deleted are skipped without a reason.
    func filter(_ context: SchedulingContext, _ views: [ClusterView]) -> (survivors: [Int], failures: [FailureCount], failedBy: [Int32]) {
        // Few distinct reasons: a short list compares them faster than a dictionary hashes them.
        var failures: [FailureCount] = []
        var failedBy = [Int32](repeating: -1, count: views.count)
        var survivors = views.indices.filter { !views[$0].deleting }
        for filter in filters where !survivors.isEmpty {
            survivors.removeAll { position in
                guard let failed = filter.filter(context, views[position]) else { return false }
                failedBy[position] = Int32(Self.count(failed.reason, in: &failures))
                return true
            }
        }
        return (survivors, failures, failedBy)
    }

    func firstFailure(_ context: SchedulingContext, _ view: ClusterView) -> FilterFailure? {
        for filter in filters { if let failed = filter.filter(context, view) { return failed } }
        return nil
    }

    /// Adds one to `reason`'s count; its index in `failures`.
    @discardableResult
    static func count(_ reason: String, in failures: inout [FailureCount]) -> Int {
        if let at = failures.firstIndex(where: { $0.reason == reason }) {
            failures[at].count += 1
            return at
        }
        failures.append(FailureCount(reason: reason, count: 1))
        return failures.count - 1
    }

    /// The clusters at `positions` scored and estimated, in that order. A cluster whose capacity is unknown counts as
    /// the whole request, or as `unknownCapacity` when given (its indices are returned).
    func score(_ context: SchedulingContext, _ views: [ClusterView], positions: [Int],
               unknownCapacity: Int? = nil) -> (ranked: [RankedCluster], unknown: [Int]) {
        let assigned = Dictionary(context.previous.map { ($0.name, Int($0.replicas ?? 0)) }, uniquingKeysWith: +)
        let request = GeneralEstimator.PreparedRequest(context.replicaRequest)
        var scores = [Int](repeating: 0, count: positions.count)
        for (plugin, weight) in scorers {
            for index in positions.indices { scores[index] += plugin.score(context, views[positions[index]]) * weight }
        }
        var unknown: [Int] = []
        let ranked = positions.indices.map { index in
            let view = views[positions[index]]
            let estimate = GeneralEstimator.maxAvailableReplicas(view, request: request)
            if estimate == nil { unknown.append(index) }
            let allocatable = estimate ?? unknownCapacity ?? context.replicas
            return RankedCluster(view: view, score: scores[index], allocatable: allocatable,
                                 available: allocatable + (assigned.isEmpty ? 0 : assigned[view.name] ?? 0))
        }
        return (ranked, unknown)
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
