import FlotillaAPI
import Synchronization

/// The clusters one scheduling pass decides over, and what its decisions learned about them.
///
/// Bindings that share a workload kind, a placement and a per-replica request are an equivalence class: filtering,
/// scoring and estimating 1,000 clusters gives each of them the same answer, except on the clusters a binding
/// already runs on (plugins may treat those differently: a sticky taint, the locality score). So the first decision
/// of a class ranks every cluster as if the binding ran nowhere (`Ranking`) and the others reuse that, redoing only
/// their previous clusters. Latency-aware bindings are not cached: their demand and matrix make each one different.
///
/// A snapshot is immutable apart from that cache, and safe to share between concurrent decisions.
public final class ClusterSnapshot: Sendable {
    public let views: [ClusterView]
    /// Name → position in `views`; empty when the snapshot does not cache.
    let positions: [String: Int]
    let caching: Bool
    /// Whether the views' `nameOrder` numbers them 0..<count (`ClusterView.of` made them together), so tables can
    /// be indexed by it.
    let numbered: Bool
    private let rankings = Mutex<[RankingKey: Ranking]>([:])
    /// Rankings of placements without their affinity, which affinity classes narrow (`Scheduler.narrowed`); apart
    /// from `rankings`, so a pass of all-different affinities does not push them out.
    private let bases = Mutex<[RankingKey: Ranking]>([:])
    /// Which positions each affinity (without its `exclude`) matches.
    private let affinityMasks = Mutex<[ClusterAffinity: [Bool]]>([:])
    private let weightTables = Mutex<[[StaticClusterWeight]: [Int64]]>([:])
    private let weightedPositions = Mutex<[[StaticClusterWeight]: [Int]]>([:])
    private let groupings = Mutex<[SpreadConstraint: SpreadSelection.Grouping]>([:])
    /// Classes kept at most: each holds one entry per feasible cluster, so a pass of all-different placements must
    /// not keep one per binding.
    static let classLimit = 128

    public convenience init(_ clusters: [Cluster]) {
        self.init(views: ClusterView.of(clusters))
    }

    /// `caching: false` for a one-off subset (an overflow tier): nobody will ask again.
    public init(views: [ClusterView], caching: Bool = true) {
        var seen = [Bool](repeating: false, count: views.count)
        for view in views where caching && view.nameOrder < seen.count { seen[view.nameOrder] = true }
        numbered = caching && !seen.contains(false)
        // In name order, so feasible lists come out sorted the way Duplicated results are written.
        let ordered = numbered ? views.sorted { $0.nameOrder < $1.nameOrder } : views
        self.views = ordered
        self.caching = caching
        positions = caching ? Dictionary(ordered.indices.map { (ordered[$0].name, $0) }, uniquingKeysWith: { first, _ in first }) : [:]
    }

    /// Every cluster's static weight under `rules` (by `nameOrder`), worked out once per rule list; nil when the
    /// snapshot does not cache.
    func staticWeights(_ rules: [StaticClusterWeight]) -> [Int64]? {
        guard numbered else { return nil }
        return remembered(rules, in: weightTables) { StaticWeights.table(views, rules: rules) }
    }

    /// The positions whose static weight under `rules` is above 0, in order (the snapshot must be numbered).
    func weightedPositions(_ rules: [StaticClusterWeight]) -> [Int] {
        remembered(rules, in: weightedPositions) {
            guard let table = staticWeights(rules) else { return [] }
            return table.indices.filter { table[$0] > 0 }
        }
    }

    /// The class's ranking, built by `build` the first time it is asked for.
    func ranking(for key: RankingKey, build: () -> Ranking) -> Ranking {
        remembered(key, in: rankings, make: build)
    }

    /// The ranking of a placement without its affinity, built by `build` the first time it is asked for.
    func baseRanking(for key: RankingKey, build: () -> Ranking) -> Ranking {
        remembered(key, in: bases, make: build)
    }

    /// Per position (the snapshot must be numbered): whether `affinity` matches the cluster there. The match apart
    /// from `exclude` is worked out once per affinity (by name lookup alone when it only lists names); `exclude` is
    /// then applied by name.
    func affinityMask(_ affinity: ClusterAffinity) -> [Bool] {
        var shared = affinity
        shared.exclude = nil
        var mask = remembered(shared, in: affinityMasks) {
            if let names = shared.clusterNames, !names.isEmpty, shared.labelSelector == nil, shared.fieldSelector == nil {
                var mask = [Bool](repeating: false, count: views.count)
                for name in names { if let position = positions[name] { mask[position] = true } }
                return mask
            }
            let compiled = CompiledAffinity(shared)
            return views.map(compiled.matches)
        }
        for name in affinity.exclude ?? [] { if let position = positions[name] { mask[position] = false } }
        return mask
    }
}

/// The entry for `key` in a shared memo, made by `make` the first time, at most `limit` entries kept (an arbitrary
/// one makes room). Two callers may both make a new entry; the later one wins, which is cheaper than holding the
/// lock while making it.
func remembered<Key: Hashable & Sendable, Entry: Sendable>(_ key: Key, in memo: borrowing Mutex<[Key: Entry]>,
                                                           limit: Int = ClusterSnapshot.classLimit, make: () -> Entry) -> Entry {
    if let known = memo.withLock({ $0[key] }) { return known }
    let made = make()
    memo.withLock { entries in
        if entries.count >= limit, let any = entries.keys.first { entries.removeValue(forKey: any) }
        entries[key] = made
    }
    return made
}

extension ClusterSnapshot {
    /// Every cluster's group under a spread constraint's field or label, numbered, worked out once per constraint;
    /// nil when the snapshot does not cache.
    func grouping(_ constraint: SpreadConstraint) -> SpreadSelection.Grouping? {
        guard numbered else { return nil }
        return remembered(SpreadSelection.groupKey(constraint), in: groupings) { makeGrouping(constraint) }
    }

    private func makeGrouping(_ constraint: SpreadConstraint) -> SpreadSelection.Grouping {
        var ids: [String: Int32] = [:]
        var names: [String] = []
        var table = [Int32](repeating: -1, count: views.count)
        for view in views {
            guard let group = view.group(constraint) else { continue }
            if let id = ids[group] {
                table[view.nameOrder] = id
            } else {
                ids[group] = Int32(names.count)
                table[view.nameOrder] = Int32(names.count)
                names.append(group)
            }
        }
        return SpreadSelection.Grouping(ids: table, names: names)
    }
}
