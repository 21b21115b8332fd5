import FlotillaAPI

/// The scheduling pipeline: filter → score → select → assign, over a fixed, documented plugin order.
///
/// Filters run in this order and the first failure rules a cluster out: APIEnablement, TaintToleration,
/// ClusterAffinity. Scores are summed (each times its weight); candidates are ordered by score descending,
/// available replicas descending, then name ascending. Clusters being deleted are skipped before filtering.
public struct Scheduler: Sendable {
    public var filters: [any FilterPlugin]
    public var scorers: [(plugin: any ScorePlugin, weight: Int)]

    public init(filters: [any FilterPlugin] = [APIEnablementFilter(), TaintTolerationFilter(), ClusterAffinityFilter()],
                scorers: [(plugin: any ScorePlugin, weight: Int)] = [(ClusterLocalityScore(), 1)]) {
        self.filters = filters
        self.scorers = scorers
    }

    public enum Outcome: Sendable, Equatable {
        case scheduled([TargetCluster])
        /// Karmada's wording: `0/N clusters are available: <reasons>.` or the division's reason.
        case unschedulable(String)
    }

    public func schedule(_ context: SchedulingContext, clusters: [Cluster]) -> Outcome {
        let live = clusters.filter { $0.metadata.deletionTimestamp == nil }
        var failures: [String: Int] = [:]
        var feasible: [Cluster] = []
        for cluster in live {
            if let failure = filters.lazy.compactMap({ $0.filter(context, cluster) }).first {
                failures[failure.reason, default: 0] += 1
            } else {
                feasible.append(cluster)
            }
        }
        guard !feasible.isEmpty else {
            let reasons = failures.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            return .unschedulable("0/\(clusters.count) clusters are available: \(reasons.isEmpty ? "no cluster exists" : reasons).")
        }
        let available = Dictionary(uniqueKeysWithValues: feasible.map { cluster in
            (cluster.metadata.name ?? "", allocatable(cluster, context))
        })
        let ranked = feasible.map { cluster in
            (cluster, scorers.reduce(0) { $0 + $1.plugin.score(context, cluster) * $1.weight })
        }.sorted { a, b in
            if a.1 != b.1 { return a.1 > b.1 }
            let aName = a.0.metadata.name ?? "", bName = b.0.metadata.name ?? ""
            if available[aName]! != available[bName]! { return available[aName]! > available[bName]! }
            return aName < bName
        }.map(\.0)
        return assign(context, candidates: ranked, allocatable: available)
    }

    /// Replicas that still fit, from the general estimator; unknown capacity counts as the whole request.
    func allocatable(_ cluster: Cluster, _ context: SchedulingContext) -> Int {
        GeneralEstimator.maxAvailableReplicas(summary: cluster.status?.resourceSummary, request: context.replicaRequest) ?? context.replicas
    }

    func assign(_ context: SchedulingContext, candidates: [Cluster], allocatable: [String: Int]) -> Outcome {
        let names = candidates.map { $0.metadata.name ?? "" }
        let strategy = context.placement.replicaScheduling
        // Non-workloads (no replicas) and Duplicated go everywhere selected.
        if context.replicas == 0 || strategy == nil || strategy?.replicaSchedulingType == "Duplicated" {
            return .scheduled(names.sorted().map { TargetCluster(name: $0, replicas: Int32(clamping: context.replicas)) })
        }
        let preference = strategy?.replicaDivisionPreference ?? "Weighted"
        let weights = strategy?.weightPreference
        if preference == "Weighted", weights?.dynamicWeight == nil {
            let rules = weights?.staticWeightList ?? candidates.map {
                StaticClusterWeight(targetCluster: ClusterAffinity(clusterNames: [$0.metadata.name ?? ""]), weight: 1)
            }
            return .scheduled(StaticWeights.divide(context.replicas, candidates: candidates, rules: rules, bindingUID: context.bindingUID))
        }
        do {
            let result = try DynamicDivision.divide(context.replicas,
                candidates: names.map { DynamicDivision.Candidate(name: $0, allocatable: allocatable[$0] ?? 0) },
                previous: context.previous, mode: context.fresh ? .fresh : .steady, aggregated: preference == "Aggregated",
                bindingUID: context.bindingUID)
            return .scheduled(result)
        } catch {
            return .unschedulable(error.description)
        }
    }
}
