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
}

/// What makes two decisions rank the clusters alike: everything a filter, a score or the estimator reads except the
/// previous result (handled per cluster) and the replica count (read only for clusters of unknown capacity).
struct RankingKey: Hashable, Sendable {
    var apiVersion: String?
    var kind: String?
    var placement: Placement
    var request: [String: Quantity]

    init(_ context: SchedulingContext) {
        apiVersion = context.resource.apiVersion
        kind = context.resource.kind
        placement = context.placement
        request = context.replicaRequest
    }
}

/// One equivalence class's filtering and scoring of a snapshot, for a binding that runs nowhere yet.
final class Ranking: Sendable {
    /// The feasible clusters in snapshot order, `available == allocatable`; a cluster of unknown capacity has 0 here
    /// (the decision puts its own replica count there).
    let feasible: [RankedCluster]
    /// Each failure reason with how many clusters it ruled out.
    let failures: [FailureCount]
    /// Per snapshot position: the index into `failures` of the reason that ruled it out, or -1.
    let failedBy: [Int32]
    /// Per snapshot position: its index in `feasible`, or -1.
    let feasibleAt: [Int32]
    /// Indices in `feasible` whose capacity is unknown.
    let unknownCapacity: [Int]
    /// `feasible` in rank order, sorted the first time a decision needs it.
    private let ordered = Mutex<[RankedCluster]?>(nil)
    private let capacityOrder = Mutex<DynamicDivision.CapacityOrder?>(nil)
    /// `byRank` grouped per spread field or label (positions in `byRank`).
    private let grouped = Mutex<[SpreadConstraint: [SpreadSelection.Members]]>([:])

    init(feasible: [RankedCluster], failures: [FailureCount], failedBy: [Int32], feasibleAt: [Int32], unknownCapacity: [Int]) {
        self.feasible = feasible
        self.failures = failures
        self.failedBy = failedBy
        self.feasibleAt = feasibleAt
        self.unknownCapacity = unknownCapacity
    }

    var byRank: [RankedCluster] {
        if let sorted = ordered.withLock({ $0 }) { return sorted }
        let sorted = RankedCluster.sorted(feasible)
        ordered.withLock { $0 = sorted }
        return sorted
    }

    /// `feasible` by free capacity, for first divisions.
    var byCapacity: DynamicDivision.CapacityOrder {
        if let known = capacityOrder.withLock({ $0 }) { return known }
        let order = DynamicDivision.CapacityOrder(feasible)
        capacityOrder.withLock { $0 = order }
        return order
    }

    /// `byRank` grouped by the snapshot's grouping for `constraint`'s field or label.
    func groups(_ constraint: SpreadConstraint, grouping: SpreadSelection.Grouping) -> [SpreadSelection.Members] {
        remembered(SpreadSelection.groupKey(constraint), in: grouped) { SpreadSelection.members(byRank, grouping: grouping) }
    }
}

struct FailureCount: Sendable {
    var reason: String
    var count: Int
}
