import FlotillaAPI

/// Karmada's dynamic division (`assignByDynamicStrategy`): DynamicWeight (by available replicas) and Aggregated.
///
/// - *Fresh* mode (a user-triggered reschedule): weight = allocatable + previously assigned, all replicas divided
///   from scratch.
/// - *Steady* mode: scale-down divides the target by the previous replicas (proportional shrink); scale-up (or the
///   first schedule) divides only the delta by free capacity and adds it to the previous result; equal keeps it.
/// - Aggregated first reorders candidates (previously used first, capacity-descending within each part) and keeps
///   the shortest prefix whose capacity covers the replicas being divided, so replicas land on as few clusters as
///   possible.
public enum DynamicDivision {
    public struct Candidate: Sendable, Hashable {
        public var name: String
        /// Replicas that still fit (the estimator's answer).
        public var allocatable: Int

        public init(name: String, allocatable: Int) {
            self.name = name
            self.allocatable = allocatable
        }
    }

    public enum Mode: Sendable {
        case steady
        case fresh
    }

    public struct Unschedulable: Error, Sendable, Equatable, CustomStringConvertible {
        public var available: Int
        public var description: String { "Clusters available replicas \(available) are not enough to schedule." }
    }

    public static func divide(_ replicas: Int, candidates: [Candidate], previous: [TargetCluster], mode: Mode,
                              aggregated: Bool, bindingUID: String) throws(Unschedulable) -> [TargetCluster] {
        let names = Set(candidates.map(\.name))
        var scheduled: [String: Int] = [:]
        for target in previous where names.contains(target.name) { scheduled[target.name, default: 0] += Int(target.replicas ?? 0) }
        let assigned = scheduled.values.reduce(0, +)
        let available = candidates.reduce(0) { $0 + $1.allocatable + scheduled[$1.name, default: 0] }
        if available < replicas { throw Unschedulable(available: available) }

        let weights: [Webster.Party]
        let toDivide: Int
        var base: [String: Int] = [:]
        switch mode {
        case .fresh:
            weights = candidates.map { Webster.Party(name: $0.name, votes: Int64($0.allocatable + scheduled[$0.name, default: 0])) }
            toDivide = replicas
        case .steady where assigned > replicas:
            weights = candidates.filter { scheduled[$0.name] != nil }.map { Webster.Party(name: $0.name, votes: Int64(scheduled[$0.name]!)) }
            toDivide = replicas
        case .steady where assigned < replicas:
            weights = candidates.map { Webster.Party(name: $0.name, votes: Int64($0.allocatable)) }
            toDivide = replicas - assigned
            base = scheduled
        default:
            return result(scheduled)
        }
        let parties = aggregated ? aggregate(weights, needed: toDivide, usedBefore: Set(scheduled.keys)) : weights
        var final = base
        for party in Webster.seated(toDivide, among: parties, bindingUID: bindingUID) {
            final[party.name, default: 0] += party.seats
        }
        return result(final)
    }

    /// Replica counts up to which `firstDivision` picks its contenders from a short sorted buffer.
    static let contenderLimit = 64

    /// The division of a binding placed for the first time (no previous result; not Aggregated), straight from the
    /// ranked clusters: the answer `divide` gives — weights are the replicas that fit, all replicas divided — with
    /// only the clusters that can win a seat made parties (`Webster.seated`'s contenders, by integer comparison).
    /// `byCapacity`: the same clusters already ordered (a class's ranking keeps it), so the contenders are a prefix.
    static func firstDivision(_ replicas: Int, ranked: [RankedCluster], byCapacity: CapacityOrder? = nil,
                              bindingUID: String) throws(Unschedulable) -> [TargetCluster] {
        let available = byCapacity?.total ?? ranked.reduce(0) { $0 + $1.allocatable }
        if available < replicas { throw Unschedulable(available: available) }
        guard replicas > 0 else { return [] }
        let ascending = Webster.ascending(bindingUID)
        let contenders = byCapacity?.first(replicas, ascending: ascending)
            ?? ranked.lazy.filter { $0.allocatable > 0 }.min(count: replicas) { x, y in
                if x.allocatable != y.allocatable { return x.allocatable > y.allocatable }
                return RankedCluster.nameAscending(x, y) == ascending
            }
        let parties = contenders.map { Webster.Party(name: $0.name, votes: Int64($0.allocatable)) }
        return Webster.apportion(replicas, among: parties, bindingUID: bindingUID).filter { $0.seats > 0 }
            .map { TargetCluster(name: $0.name, replicas: Int32(clamping: $0.seats)) }
    }

    /// Clusters with room, by free replicas descending then name ascending, and their total room.
    struct CapacityOrder: Sendable {
        let clusters: [RankedCluster]
        let total: Int
        /// By `nameOrder`: which of `clusters` count (all when nil) — a narrowed ranking's order is its parent's
        /// with the others skipped, not a copy.
        let keep: [Bool]?

        init(_ ranked: [RankedCluster]) {
            total = ranked.reduce(0) { $0 + $1.allocatable }
            clusters = ranked.filter { $0.allocatable > 0 }.sorted { x, y in
                x.allocatable != y.allocatable ? x.allocatable > y.allocatable : RankedCluster.nameAscending(x, y)
            }
            keep = nil
        }

        private init(clusters: [RankedCluster], total: Int, keep: [Bool]?) {
            self.clusters = clusters
            self.total = total
            self.keep = keep
        }

        /// This order with only the clusters `keep` marks (by `nameOrder`), whose room is `total` in all.
        func keeping(_ keep: [Bool], total: Int) -> CapacityOrder {
            let combined = self.keep.map { mine in zip(mine, keep).map { $0 && $1 } } ?? keep
            return CapacityOrder(clusters: clusters, total: total, keep: combined)
        }

        /// The `count` first in first-seat order: by free replicas, ties by name in the binding's direction. Within
        /// a run of equal room, descending takes the run's tail.
        func first(_ count: Int, ascending: Bool) -> [RankedCluster] {
            var chosen: [RankedCluster] = []
            var run: [Int] = []
            var index = 0
            while index < clusters.count, chosen.count < count {
                // The next run of equal room among the clusters that count.
                run.removeAll(keepingCapacity: true)
                var room: Int?
                while index < clusters.count {
                    if let keep, !keep[clusters[index].view.nameOrder] {
                        index += 1
                        continue
                    }
                    if let room, clusters[index].allocatable != room { break }
                    room = clusters[index].allocatable
                    run.append(index)
                    index += 1
                }
                let need = count - chosen.count
                let taken = run.count <= need ? run[...] : (ascending ? run.prefix(need) : run.suffix(need))
                for at in taken { chosen.append(clusters[at]) }
            }
            return chosen
        }
    }

    /// Previously used clusters first, each part by capacity descending (then name); the shortest prefix whose
    /// capacity reaches `needed`.
    static func aggregate(_ parties: [Webster.Party], needed: Int, usedBefore: Set<String>) -> [Webster.Party] {
        let ordered = parties.sorted { a, b in
            let aUsed = usedBefore.contains(a.name)
            let bUsed = usedBefore.contains(b.name)
            if aUsed != bUsed { return aUsed }
            if a.votes != b.votes { return a.votes > b.votes }
            return a.name < b.name
        }
        var prefix: [Webster.Party] = []
        var capacity: Int64 = 0
        for party in ordered where capacity < Int64(needed) {
            prefix.append(party)
            capacity += party.votes
        }
        return prefix
    }

    static func result(_ replicas: [String: Int]) -> [TargetCluster] {
        replicas.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { TargetCluster(name: $0.key, replicas: Int32(clamping: $0.value)) }
    }
}
