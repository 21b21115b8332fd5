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

    /// Karmada's `ResourceSummary` from a member's nodes and pods: allocatable summed over nodes; allocated from
    /// bound, unfinished pods (plus their count as `pods`); allocating from unbound, unfinished pods.
    ///
    /// `requests`: a pod's effective request (`requests(of:)`, or a cache of it: a pod's spec rarely changes, and
    /// decoding every pod's spec on every status tick was most of a member's idle cost).
    static func summary(nodes: [JSONValue], pods: [JSONValue],
                        requests request: (JSONValue) -> [String: Quantity] = requests(of:)) -> (NodeSummary, ResourceSummary) {
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
        for pod in pods {
            let phase = pod["status"]?["phase"]?.stringValue ?? "Pending"
            guard phase != "Succeeded", phase != "Failed" else { continue }
            let requests = request(pod)
            if let node = pod["spec"]?["nodeName"]?.stringValue, !node.isEmpty {
                boundCount += 1
                for (name, quantity) in requests { allocated[name, default: .zero] += quantity }
            } else {
                pendingCount += 1
                for (name, quantity) in requests { allocating[name, default: .zero] += quantity }
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
