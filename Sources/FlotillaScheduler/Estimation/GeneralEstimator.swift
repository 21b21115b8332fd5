import FlotillaAPI

/// Karmada's general estimator (`pkg/estimator/client/general.go`): how many more replicas of a given per-replica
/// request fit in a cluster, from `status.resourceSummary` alone.
///
/// `allowedPods = allocatable.pods − allocated.pods − allocating.pods` (at least 0); for each requested resource
/// with a request above zero, `⌊(allocatable − allocated − allocating) / request⌋`; a requested resource missing
/// from the summary gives 0. The answer is the minimum. Without a summary the answer is nil ("can't tell").
public enum GeneralEstimator {
    public static func maxAvailableReplicas(summary: ResourceSummary?, request: [String: Quantity]) -> Int? {
        maxAvailableReplicas(free: free(summary), request: request.sorted { $0.key < $1.key })
    }

    /// allocatable − allocated − allocating for every allocatable resource; nil without a summary.
    static func free(_ summary: ResourceSummary?) -> [String: Quantity]? {
        guard let summary, let allocatable = summary.allocatable else { return nil }
        var free: [String: Quantity] = [:]
        for (resource, total) in allocatable {
            free[resource] = total - (summary.allocated?[resource] ?? .zero) - (summary.allocating?[resource] ?? .zero)
        }
        return free
    }

    /// The resources nearly every request names, in fixed slots: a cluster's free capacity in them is an array read.
    static let slottedResources = ["pods", "cpu", "memory", "ephemeral-storage"]

    static func slot(_ resource: String) -> Int? { slottedResources.firstIndex(of: resource) }

    static func slotted(_ free: [String: Quantity]?) -> [Quantity?] {
        slottedResources.map { free?[$0] }
    }

    /// A request prepared once per decision: each resource with its slot, when it has one.
    struct PreparedRequest {
        var items: [(resource: String, slot: Int?, perReplica: Quantity)]

        init(_ request: [String: Quantity]) {
            items = request.sorted { $0.key < $1.key }.filter { $0.value.sign > 0 && $0.key != "pods" }
                .map { (resource: $0.key, slot: GeneralEstimator.slot($0.key), perReplica: $0.value) }
        }
    }

    /// The same answer for a `ClusterView`, whose free capacity was worked out when the cluster changed.
    static func maxAvailableReplicas(_ view: ClusterView, request: PreparedRequest) -> Int? {
        guard let free = view.free else { return nil }
        var answer = Int.max
        if let pods = view.freeSlots[0] { answer = max(0, Int(clamping: pods.value)) }
        for item in request.items {
            guard let available = item.slot.map({ view.freeSlots[$0] }) ?? free[item.resource] else { return 0 }
            answer = min(answer, Int(clamping: available.whole(item.perReplica) ?? 0))
        }
        return answer == Int.max ? nil : answer
    }

    /// The same answer from free capacity worked out beforehand.
    static func maxAvailableReplicas(free: [String: Quantity]?, request: [(key: String, value: Quantity)]) -> Int? {
        guard let free else { return nil }
        var answer = Int.max
        if let pods = free["pods"] { answer = max(0, Int(clamping: pods.value)) }
        for (resource, perReplica) in request where perReplica.sign > 0 && resource != "pods" {
            guard let available = free[resource] else { return 0 }
            answer = min(answer, Int(clamping: available.whole(perReplica) ?? 0))
        }
        return answer == Int.max ? nil : answer
    }
}
