import FlotillaAPI
import Synchronization

/// Filtering, scoring and estimating: the clusters a binding may use, in Karmada's order, or why none fits — shared
/// between the bindings of one equivalence class through `ClusterSnapshot`.
extension Scheduler {
    struct NoFit: Error { var message: String }

    /// Filter and score: the feasible clusters (in rank order when `ordered`), or the fit error.
    /// Clusters are shared views, never copied: a decision over 1,000 clusters must not move 1,000 of them.
    func rank(_ context: SchedulingContext, clusters: ClusterSnapshot, ordered: Bool = true) -> Result<Ranked, NoFit> {
        var compiled = context
        compiled.affinityMatcher = context.placementAffinity.map(CompiledAffinity.init)
        let context = compiled  // immutable from here: the closures below borrow it instead of copying it per call
        // A class's shared ranking knows nothing of one binding's evictions: such a binding (rare) ranks on its own.
        guard clusters.caching, context.latency == nil, context.evicting.isEmpty else {
            let filtered = filter(context, clusters.views)
            let ranked = score(context, clusters.views, positions: filtered.survivors).ranked
            return fit(ranked, failures: filtered.failures, total: clusters.views.count, ordered: ordered).map { Ranked(own: $0) }
        }
        let ranking = clusters.ranking(for: RankingKey(context)) {
            narrowed(context, clusters: clusters) ?? classRanking(context, clusters: clusters)
        }
        if context.previous.isEmpty, ranking.unknownCapacity.isEmpty || context.replicas == 0 {
            guard ranking.count > 0 else { return .failure(noFit(failures: ranking.failures, total: clusters.views.count)) }
            return .success(Ranked(shared: ranking, ordered: ordered))
        }
        return adjusted(ranking, for: context, clusters: clusters, ordered: ordered).map { Ranked(own: $0) }
    }

    /// Filters and scores every cluster for a binding that runs nowhere yet: a class's ranking.
    func classRanking(_ context: SchedulingContext, clusters: ClusterSnapshot) -> Ranking {
        var anew = context
        anew.previous = []
        let filtered = filter(anew, clusters.views)
        let (ranked, unknown) = score(anew, clusters.views, positions: filtered.survivors, unknownCapacity: 0)
        var feasibleAt = [Int32](repeating: -1, count: clusters.views.count)
        for (index, position) in filtered.survivors.enumerated() { feasibleAt[position] = Int32(index) }
        return Ranking(feasible: ranked, failures: filtered.failures, failedBy: filtered.failedBy, feasibleAt: feasibleAt,
                       unknownCapacity: unknown)
    }

    /// A class with a cluster affinity, ranked incrementally: the ranking of the same placement without the affinity
    /// (shared by every affinity over it, kept apart from the classes), narrowed to the clusters the affinity matches
    /// (`ClusterSnapshot.affinityMask`, worked out once per affinity apart from its `exclude`). Placements that differ
    /// only in their affinity — a thousand bindings each excluding another cluster — filter and score the thousand
    /// clusters once, not once each.
    ///
    /// The same answer as filtering from scratch, because of the plugin order: the filters before ClusterAffinity
    /// (APIEnablement, TaintToleration) do not read the affinity, the ones after it (ClusterEviction, Latency) pass
    /// every cluster on this path (no eviction, no latency), and no score reads it. So a cluster's first failure is the
    /// base's, or else the affinity's. nil (rank from scratch) when the scheduler runs plugins other than the
    /// registry's, runs without ClusterAffinity, or the snapshot is not numbered.
    func narrowed(_ context: SchedulingContext, clusters: ClusterSnapshot) -> Ranking? {
        guard clusters.numbered, let affinity = context.placementAffinity, splitsOnAffinity else { return nil }
        var baseContext = context
        baseContext.placement.clusterAffinity = nil
        baseContext.placement.clusterAffinities = nil
        baseContext.affinityMatcher = nil
        let base = clusters.baseRanking(for: RankingKey(baseContext)) { classRanking(baseContext, clusters: clusters) }
        return base.narrowed(keeping: clusters.affinityMask(affinity), reason: ClusterAffinityFilter.reason)
    }

    /// Whether `narrowed` gives the same answer as filtering from scratch with these plugins.
    var splitsOnAffinity: Bool {
        var hasAffinity = false
        for filter in filters {
            switch filter {
            case is ClusterAffinityFilter: hasAffinity = true
            case is APIEnablementFilter, is TaintTolerationFilter, is ClusterEvictionFilter, is LatencyFilter: continue
            default: return false
            }
        }
        return hasAffinity && scorers.allSatisfy { $0.plugin is ClusterLocalityScore || $0.plugin is LatencyScore }
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
        return .failure(noFit(failures: failures, total: total))
    }

    /// Karmada's fit error: `0/N clusters are available: <count> <reason>, ….`
    func noFit(failures: [FailureCount], total: Int) -> NoFit {
        let reasons = failures.filter { $0.count > 0 }.sorted { $0.reason < $1.reason }.map { "\($0.count) \($0.reason)" }
            .joined(separator: ", ")
        return NoFit(message: "0/\(total) clusters are available: \(reasons.isEmpty ? "no cluster exists" : reasons).")
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
}

/// What makes two decisions rank the clusters alike: everything a filter, a score or the estimator reads except the
/// previous result (handled per cluster) and the replica count (read only for clusters of unknown capacity).
///
/// The key hashes its parts once, when it is made: a decision looks its class up and may store it, and a placement
/// (affinities, spread constraints, weight lists) is costly to hash each time.
struct RankingKey: Hashable, Sendable {
    let apiVersion: String?
    let kind: String?
    let placement: Placement
    let request: [String: Quantity]
    private let hash: Int

    init(_ context: SchedulingContext) {
        apiVersion = context.resource.apiVersion
        kind = context.resource.kind
        placement = context.placement
        request = context.replicaRequest
        var hasher = Hasher()
        hasher.combine(apiVersion)
        hasher.combine(kind)
        hasher.combine(placement)
        hasher.combine(request)
        hash = hasher.finalize()
    }

    static func == (a: RankingKey, b: RankingKey) -> Bool {
        a.hash == b.hash && a.apiVersion == b.apiVersion && a.kind == b.kind && a.placement == b.placement && a.request == b.request
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}

/// One equivalence class's filtering and scoring of a snapshot, for a binding that runs nowhere yet.
///
/// A class's own ranking holds its feasible clusters. A ranking narrowed from it (an affinity over the same placement,
/// `Scheduler.narrowed`) holds only which snapshot positions it kept: its lists (`feasible`, `byRank`, `byCapacity`)
/// are the parent's with the others left out, made when a decision first needs them, and the divisions that need only
/// a few clusters (static weights, a first dynamic division) never make them.
final class Ranking: Sendable {
    /// Each failure reason with how many clusters it ruled out.
    let failures: [FailureCount]
    /// Per snapshot position: the index into `failures` of the reason that ruled it out, or -1.
    let failedBy: [Int32]
    /// Per snapshot position: its index in `feasible`, or -1.
    let feasibleAt: [Int32]
    /// Indices in `feasible` whose capacity is unknown.
    let unknownCapacity: [Int]
    /// How many clusters are feasible.
    let count: Int
    /// The feasible clusters of a class's own ranking (nil for a narrowed one, whose list is made on demand).
    private let own: [RankedCluster]?
    private let madeFeasible = Mutex<[RankedCluster]?>(nil)
    /// `feasible` in rank order, sorted the first time a decision needs it.
    private let ordered = Mutex<[RankedCluster]?>(nil)
    private let capacityOrder = Mutex<DynamicDivision.CapacityOrder?>(nil)
    /// `byRank` grouped per spread field or label (positions in `byRank`).
    private let grouped = Mutex<[SpreadConstraint: [SpreadSelection.Members]]>([:])
    /// For a ranking narrowed from another: that one, which snapshot positions were kept, and the room of the
    /// feasible clusters in all.
    private let parent: (ranking: Ranking, keep: [Bool], total: Int)?

    init(feasible: [RankedCluster], failures: [FailureCount], failedBy: [Int32], feasibleAt: [Int32], unknownCapacity: [Int]) {
        self.own = feasible
        self.count = feasible.count
        self.failures = failures
        self.failedBy = failedBy
        self.feasibleAt = feasibleAt
        self.unknownCapacity = unknownCapacity
        self.parent = nil
    }

    private init(narrowedFrom parent: Ranking, keep: [Bool], total: Int, count: Int, failures: [FailureCount], failedBy: [Int32],
                 feasibleAt: [Int32], unknownCapacity: [Int]) {
        self.own = nil
        self.count = count
        self.failures = failures
        self.failedBy = failedBy
        self.feasibleAt = feasibleAt
        self.unknownCapacity = unknownCapacity
        self.parent = (parent, keep, total)
    }

    /// The feasible clusters in snapshot order, `available == allocatable`; a cluster of unknown capacity has 0 here
    /// (the decision puts its own replica count there).
    var feasible: [RankedCluster] {
        if let own { return own }
        if let made = madeFeasible.withLock({ $0 }) { return made }
        guard let parent else { return [] }
        let made = parent.ranking.feasible.filter { parent.keep[$0.view.nameOrder] }
        madeFeasible.withLock { $0 = made }
        return made
    }

    /// This ranking with only the clusters at the positions `keep` marks feasible; the others failed with `reason`.
    /// Works on positions alone (a numbered snapshot's positions are the views' `nameOrder`): no cluster is copied.
    func narrowed(keeping keep: [Bool], reason: String) -> Ranking {
        var failedBy = self.failedBy
        var failures = self.failures
        var feasibleAt = self.feasibleAt
        var unknown: [Int] = []
        var nextUnknown = 0
        var reasonIndex: Int32 = -1
        var kept = 0
        var removedRoom = 0
        let all = feasible
        for position in feasibleAt.indices {
            let index = Int(feasibleAt[position])
            guard index >= 0 else { continue }
            let isUnknown = nextUnknown < unknownCapacity.count && unknownCapacity[nextUnknown] == index
            if isUnknown { nextUnknown += 1 }
            if keep[position] {
                feasibleAt[position] = Int32(kept)
                if isUnknown { unknown.append(kept) }
                kept += 1
            } else {
                feasibleAt[position] = -1
                removedRoom += all[index].allocatable
                if reasonIndex < 0 {
                    reasonIndex = Int32(Scheduler.count(reason, in: &failures))
                } else {
                    failures[Int(reasonIndex)].count += 1
                }
                failedBy[position] = reasonIndex
            }
        }
        return Ranking(narrowedFrom: self, keep: keep, total: byCapacityTotal - removedRoom, count: kept, failures: failures,
                       failedBy: failedBy, feasibleAt: feasibleAt, unknownCapacity: unknown)
    }

    /// The room of all feasible clusters.
    private var byCapacityTotal: Int { parent?.total ?? byCapacity.total }

    var byRank: [RankedCluster] {
        if let sorted = ordered.withLock({ $0 }) { return sorted }
        let sorted = parent.map { parent in parent.ranking.byRank.filter { parent.keep[$0.view.nameOrder] } } ?? RankedCluster.sorted(feasible)
        ordered.withLock { $0 = sorted }
        return sorted
    }

    /// `feasible` by free capacity, for first divisions (a narrowed ranking's skips the clusters it left out).
    var byCapacity: DynamicDivision.CapacityOrder {
        if let known = capacityOrder.withLock({ $0 }) { return known }
        let order = parent.map { parent in parent.ranking.byCapacity.keeping(parent.keep, total: parent.total) }
            ?? DynamicDivision.CapacityOrder(feasible)
        capacityOrder.withLock { $0 = order }
        return order
    }

    /// `byRank` grouped by the snapshot's grouping for `constraint`'s field or label.
    func groups(_ constraint: SpreadConstraint, grouping: SpreadSelection.Grouping) -> [SpreadSelection.Members] {
        remembered(SpreadSelection.groupKey(constraint), in: grouped) { SpreadSelection.members(byRank, grouping: grouping) }
    }

    /// The parties of a static-weight division over the feasible clusters, from the snapshot's weight table and the
    /// positions it weighs (in position order, as `feasible` is); nil when no feasible cluster has weight (every
    /// cluster then gets 1, which needs the whole list).
    func staticParties(table: [Int64], weighted: [Int], views: [ClusterView]) -> [Webster.Party]? {
        let parties = weighted.filter { feasibleAt[$0] >= 0 }.map { Webster.Party(name: views[$0].name, votes: table[$0]) }
        return parties.isEmpty ? nil : parties
    }
}

struct FailureCount: Sendable {
    var reason: String
    var count: Int
}
