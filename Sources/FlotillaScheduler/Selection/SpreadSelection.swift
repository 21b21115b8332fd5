import FlotillaAPI

/// Selects the clusters a binding may use under its spread constraints (Karmada's `core/spreadconstraint`).
///
/// - No constraints: every candidate.
/// - `cluster` alone: at least `minGroups` candidates, the top `maxGroups` by rank; for Divided, when their available
///   replicas do not cover the request, the lowest-ranked picks are replaced, from the back, by the unpicked cluster
///   with the most capacity that has more than the pick, until the sum suffices.
/// - One group constraint (`region`, and — beyond Karmada, which validates but refuses them — `zone`, `provider` or
///   any label) together with `cluster`: groups are scored, the best combination of `minGroups`…`maxGroups` groups
///   is found by depth-first search, each chosen group's best cluster is taken, and the rest filled by rank up to
///   the cluster constraint's `maxGroups`.
///
/// Candidates arrive in rank order (`RankedCluster.precedes`). Pure.
public enum SpreadSelection {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Each group score is worth this many available replicas' tie-break room (Karmada's `weightUnit`).
    static let weightUnit = 1000
    /// DFS nodes explored at most when combining groups; the best combination found so far is used beyond it.
    static let searchBudget = 1_000_000

    /// Each cluster's group numbered by its `nameOrder` (-1: none), and the groups' names: grouping by integers.
    struct Grouping: Sendable {
        var ids: [Int32]
        var names: [String]
    }

    /// A group's name and its clusters as positions in the candidate list (so in rank order).
    typealias Members = (name: String, members: [Int])

    /// What decides a constraint's groups — its field or label, not its group counts — as a memo key.
    static func groupKey(_ constraint: SpreadConstraint) -> SpreadConstraint {
        var key = constraint
        (key.minGroups, key.maxGroups) = (nil, nil)
        return key
    }

    /// The candidates grouped by a snapshot's grouping.
    static func members(_ candidates: [RankedCluster], grouping: Grouping) -> [Members] {
        var byID = [[Int]](repeating: [], count: grouping.names.count)
        for index in candidates.indices {
            let id = grouping.ids[candidates[index].view.nameOrder]
            if id >= 0 { byID[Int(id)].append(index) }
        }
        return byID.indices.filter { !byID[$0].isEmpty }.map { (grouping.names[$0], byID[$0]) }
    }

    public static func select(_ candidates: [RankedCluster], constraints: [SpreadConstraint], replicas: Int,
                              duplicated: Bool) -> Result<[RankedCluster], Failure> {
        select(candidates, constraints: constraints, replicas: replicas, duplicated: duplicated, groups: { _ in nil })
    }

    /// `groups`: the candidates grouped under a group constraint, when the snapshot has worked that out.
    static func select(_ candidates: [RankedCluster], constraints: [SpreadConstraint], replicas: Int, duplicated: Bool,
                       groups: (SpreadConstraint) -> [Members]?) -> Result<[RankedCluster], Failure> {
        guard !constraints.isEmpty else { return .success(candidates) }
        let clusterConstraint = constraints.first { ($0.spreadByField ?? "") == "cluster" && ($0.spreadByLabel ?? "").isEmpty }
        let groupConstraints = constraints.filter { $0 != clusterConstraint }
        if groupConstraints.count > 1 {
            let names = groupConstraints.map { $0.spreadByLabel.map { "label \($0)" } ?? $0.spreadByField ?? "" }
            return .failure(Failure(description: "spreading by more than one group at once (\(names.joined(separator: ", "))) is not supported"))
        }
        let clusterMin = max(Int(clusterConstraint?.minGroups ?? 1), 1)
        let clusterMax = clusterConstraint?.maxGroups.map { Int($0) }.flatMap { $0 > 0 ? $0 : nil } ?? Int.max
        if let group = groupConstraints.first {
            return selectByGroup(candidates, group: group, clusterMin: clusterMin, clusterMax: clusterMax,
                replicas: replicas, duplicated: duplicated, members: groups(group))
        }
        return selectClusters(candidates, minGroups: clusterMin, maxGroups: clusterMax, replicas: replicas, duplicated: duplicated)
    }

    static func selectClusters(_ candidates: [RankedCluster], minGroups: Int, maxGroups: Int, replicas: Int,
                               duplicated: Bool) -> Result<[RankedCluster], Failure> {
        guard candidates.count >= minGroups else {
            return .failure(Failure(description: "the number of feasible clusters is less than spreadConstraint.MinGroups"))
        }
        let count = min(candidates.count, maxGroups)
        var picked = Array(candidates.prefix(count))
        guard !duplicated else { return .success(picked) }
        var rest = Array(candidates.dropFirst(count))
        var index = picked.count - 1
        while picked.reduce(0, { $0 + $1.available }) < replicas, index >= 0 {
            // The unpicked cluster with the most capacity, if it has more than this pick.
            if let best = rest.indices.max(by: { rest[$0].available < rest[$1].available || (rest[$0].available == rest[$1].available && rest[$0].name > rest[$1].name) }),
                rest[best].available > picked[index].available {
                let replaced = picked[index]
                picked[index] = rest.remove(at: best)
                rest.append(replaced)
            }
            index -= 1
        }
        guard picked.reduce(0, { $0 + $1.available }) >= replicas else {
            return .failure(Failure(description: "no enough resource when selecting \(count) clusters"))
        }
        return .success(picked)
    }

    /// A group: its clusters as positions in the candidate list (so in rank order), and its score.
    struct Group {
        var name: String
        var members: [Int]
        var score: Int
    }

    static func selectByGroup(_ candidates: [RankedCluster], group constraint: SpreadConstraint, clusterMin: Int, clusterMax: Int,
                              replicas: Int, duplicated: Bool, members known: [Members]? = nil) -> Result<[RankedCluster], Failure> {
        let groupMin = max(Int(constraint.minGroups ?? 1), 1)
        let groupMax = constraint.maxGroups.map { Int($0) }.flatMap { $0 > 0 ? $0 : nil } ?? Int.max
        let members = known ?? {
            var byName: [String: [Int]] = [:]
            for index in candidates.indices { if let key = candidates[index].group(constraint) { byName[key, default: []].append(index) } }
            return byName.map { ($0.key, $0.value) }
        }()
        var groups = members.map { name, positions in
            Group(name: name, members: positions, score: score(positions.lazy.map { candidates[$0] }, replicas: replicas, groupMin: groupMin,
                                                             clusterMin: clusterMin, duplicated: duplicated))
        }
        guard groups.count >= groupMin else {
            return .failure(Failure(description: "the number of feasible \(label(constraint)) groups is less than spreadConstraint.MinGroups"))
        }
        groups.sort { a, b in
            if a.members.count != b.members.count { return a.members.count < b.members.count }
            if a.score != b.score { return a.score > b.score }
            return a.name < b.name
        }
        guard let chosen = bestCombination(groups, groupMin: groupMin, groupMax: groupMax, clusterMin: clusterMin) else {
            return .failure(Failure(description: "no combination of \(label(constraint)) groups satisfies the spread constraints"))
        }
        // Each chosen group's best cluster first, then the best of the rest, up to the cluster constraint's maximum.
        // Positions in the candidate list are rank order, so ordering positions orders clusters.
        let firsts = chosen.map { $0.members[0] }.sorted()
        let total = min(chosen.reduce(0) { $0 + $1.members.count }, clusterMax)
        let rest = chosen.flatMap { $0.members.dropFirst() }.min(count: max(total - firsts.count, 0), sortedBy: <)
        return .success((firsts + rest).map { candidates[$0] })
    }

    /// Divided: `1000 · min(Σ available, ⌈replicas / groupMin⌉) + average score` over the fewest top clusters that
    /// reach the target and the cluster minimum. Duplicated: `1000 · #clusters that fit the whole request + their
    /// average score`.
    static func score(_ clusters: some Collection<RankedCluster>, replicas: Int, groupMin: Int, clusterMin: Int, duplicated: Bool) -> Int {
        if duplicated {
            let fitting = clusters.filter { $0.available >= replicas }
            let average = fitting.isEmpty ? 0 : fitting.reduce(0) { $0 + $1.score } / fitting.count
            return fitting.count * weightUnit + average
        }
        let target = (replicas + groupMin - 1) / groupMin
        var sum = 0, scores = 0, count = 0
        for cluster in clusters {
            sum += cluster.available
            scores += cluster.score
            count += 1
            if sum >= target, count >= clusterMin { break }
        }
        return min(sum, target) * weightUnit + (count == 0 ? 0 : scores / count)
    }

    /// Depth-first over groups in their sorted order: any path of `groupMin`…`groupMax` groups holding at least
    /// `clusterMin` clusters is feasible; the best has the highest total score, then the most clusters, then was
    /// found first (so a shorter prefix wins ties).
    static func bestCombination(_ groups: [Group], groupMin: Int, groupMax: Int, clusterMin: Int) -> [Group]? {
        var best: (path: [Int], score: Int, clusters: Int)?
        var path: [Int] = []
        var budget = searchBudget
        func visit(from start: Int, score: Int, clusters: Int) {
            for index in start..<groups.count {
                guard budget > 0 else { return }
                budget -= 1
                path.append(index)
                let pathScore = score + groups[index].score
                let pathClusters = clusters + groups[index].members.count
                if path.count >= groupMin, path.count <= groupMax, pathClusters >= clusterMin {
                    if best == nil || pathScore > best!.score || (pathScore == best!.score && pathClusters > best!.clusters) {
                        best = (path, pathScore, pathClusters)
                    }
                }
                if path.count < groupMax { visit(from: index + 1, score: pathScore, clusters: pathClusters) }
                path.removeLast()
            }
        }
        visit(from: 0, score: 0, clusters: 0)
        return best.map { $0.path.map { groups[$0] } }
    }

    static func label(_ constraint: SpreadConstraint) -> String {
        constraint.spreadByLabel.map { "label \"\($0)\"" } ?? constraint.spreadByField ?? "group"
    }
}
