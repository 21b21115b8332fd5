import FlotillaAPI

/// Kubernetes' effective pod request: the larger of the containers' sum and any single init container, per
/// resource (a limit stands in for a missing request).
enum ResourceAccounting {
    static func requests(of pod: JSONValue) -> [String: Quantity] {
        guard let spec = try? ObjectDecoder().decode(PodSpec.self, from: pod["spec"] ?? .null) else { return [:] }
        var total = spec.requests
        for container in spec.initContainers ?? [] {
            let effective = (container.resources?.limits ?? [:]).merging(container.resources?.requests ?? [:]) { _, request in request }
            for (name, quantity) in effective where quantity > (total[name] ?? .zero) { total[name] = quantity }
        }
        return total
    }

    /// What one pod counts for in a member's summary: whether it still holds resources (not Succeeded or Failed),
    /// whether it is bound to a node, and its effective request. A monitor keeps this, not the pod: a member's pods
    /// held whole were ~5 KB each on the control plane, one per Work at fleet scale.
    struct PodShare: Sendable, Equatable {
        var counted: Bool
        var bound: Bool
        var requests: [String: Quantity]

        init(counted: Bool, bound: Bool, requests: [String: Quantity]) {
            self.counted = counted
            self.bound = bound
            self.requests = requests
        }

        init(_ pod: JSONValue) {
            let phase = pod["status"]?["phase"]?.stringValue ?? "Pending"
            counted = phase != "Succeeded" && phase != "Failed"
            bound = !(pod["spec"]?["nodeName"]?.stringValue ?? "").isEmpty
            requests = counted ? ResourceAccounting.requests(of: pod) : [:]
        }
    }

    /// Karmada's `ResourceSummary` from a member's nodes and pods: allocatable summed over nodes; allocated from
    /// bound, unfinished pods (plus their count as `pods`); allocating from unbound, unfinished pods.
    static func summary(nodes: [JSONValue], pods: some Sequence<PodShare>) -> (NodeSummary, ResourceSummary) {
        var allocatable: [String: Quantity] = [:]
        var ready: Int32 = 0
        for node in nodes {
            for (name, value) in node["status"]?["allocatable"]?.objectValue ?? [:] {
                if let text = value.stringValue, let quantity = try? Quantity(parsing: text) { allocatable[name, default: .zero] += quantity }
            }
            let conditions = node["status"]?["conditions"]?.arrayValue ?? []
            if conditions.contains(where: { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }) { ready += 1 }
        }
        var allocated: [String: Quantity] = [:]
        var allocating: [String: Quantity] = [:]
        var boundCount: Int64 = 0, pendingCount: Int64 = 0
        for pod in pods where pod.counted {
            if pod.bound {
                boundCount += 1
                for (name, quantity) in pod.requests { allocated[name, default: .zero] += quantity }
            } else {
                pendingCount += 1
                for (name, quantity) in pod.requests { allocating[name, default: .zero] += quantity }
            }
        }
        allocated["pods"] = Quantity(boundCount)
        if pendingCount > 0 { allocating["pods"] = Quantity(pendingCount) }
        var summary = ResourceSummary(allocatable: allocatable)
        summary.allocated = allocated
        summary.allocating = allocating.isEmpty ? nil : allocating
        return (NodeSummary(totalNum: Int32(nodes.count), readyNum: ready), summary)
    }
}
