import FlotillaAPI

/// Karmada's general estimator (`pkg/estimator/client/general.go`): how many more replicas of a given per-replica
/// request fit in a cluster, from `status.resourceSummary` alone.
///
/// `allowedPods = allocatable.pods − allocated.pods − allocating.pods` (at least 0); for each requested resource
/// with a request above zero, `⌊(allocatable − allocated − allocating) / request⌋`; a requested resource missing
/// from the summary gives 0. The answer is the minimum. Without a summary the answer is nil ("can't tell").
public enum GeneralEstimator {
    public static func maxAvailableReplicas(summary: ResourceSummary?, request: [String: Quantity]) -> Int? {
        guard let summary, let allocatable = summary.allocatable else { return nil }
        func free(_ resource: String) -> Quantity? {
            guard let total = allocatable[resource] else { return nil }
            return total - (summary.allocated?[resource] ?? .zero) - (summary.allocating?[resource] ?? .zero)
        }
        var answer = Int.max
        if let pods = free("pods") { answer = max(0, Int(clamping: pods.value)) }
        for (resource, perReplica) in request.sorted(by: { $0.key < $1.key }) where perReplica.sign > 0 && resource != "pods" {
            guard let available = free(resource) else { return 0 }
            answer = min(answer, Int(clamping: available.whole(perReplica) ?? 0))
        }
        return answer == Int.max ? nil : answer
    }
}
