import FlotillaAPI

/// The site's scheduler: binds each pending pod to a node that is Ready, schedulable, matches the pod's
/// nodeSelector, whose NoSchedule/NoExecute taints the pod tolerates, and that has room for the pod's requests
/// (cpu, memory, any extended resource, and the pod count). Among the nodes that fit it picks the least
/// allocated (the largest free fraction of cpu and memory, then the node name). A pod that fits nowhere keeps
/// `PodScheduled=False` with reason `Unschedulable` and kube-scheduler's message ("0/3 nodes are available: …").
/// Pure: snapshot in, actions out.
struct PodBinder: Sendable {
    let events = EventRecorder(component: "default-scheduler")

    func reconcile(_ snapshot: SiteSnapshot, now: Timestamp) -> [SiteAction] {
        var usage = NodeUsage(snapshot: snapshot)
        var actions: [SiteAction] = []
        let pending = snapshot.pods
            .filter { $0.spec.nodeName == nil && !$0.isTerminal }
            .sorted { ($0.metadata.creationTimestamp?.seconds ?? 0, $0.metadata.name ?? "") < ($1.metadata.creationTimestamp?.seconds ?? 0, $1.metadata.name ?? "") }
        for pod in pending {
            switch place(pod, nodes: snapshot.nodes, usage: usage) {
            case .success(let node):
                usage.add(pod, to: node)
                var bound = pod
                bound.spec.nodeName = node
                var status = bound.status ?? PodStatus(phase: "Pending")
                status.setCondition(PodCondition(type: "PodScheduled", status: .true), now: now)
                status.reason = nil
                status.message = nil
                bound.status = status
                actions.append(.update(Pod.descriptor.groupResource, bound.json()))
                actions.append(events.event(about: pod.reference, reason: "Scheduled",
                    message: "Successfully assigned \(pod.metadata.namespace ?? "")/\(pod.metadata.name ?? "") to \(node)", at: now))
            case .failure(let reason):
                let message = reason.message
                let existing = pod.status?.conditions?.first { $0.type == "PodScheduled" }
                guard existing?.message != message || existing?.status != .false else { continue }
                var unschedulable = pod
                var status = unschedulable.status ?? PodStatus(phase: "Pending")
                status.setCondition(PodCondition(type: "PodScheduled", status: .false, reason: "Unschedulable", message: message), now: now)
                unschedulable.status = status
                actions.append(.update(Pod.descriptor.groupResource, unschedulable.json()))
                actions.append(events.event(about: pod.reference, type: "Warning", reason: "FailedScheduling", message: message, at: now))
            }
        }
        return actions
    }

    /// The node for `pod`, or why none fits.
    func place(_ pod: Pod, nodes: [Node], usage: NodeUsage) -> Result<String, Unschedulable> {
        var reasons: [String: Int] = [:]
        var best: (name: String, free: Double)?
        for node in nodes {
            guard let name = node.metadata.name else { continue }
            if let reason = Self.rejection(of: pod, by: node, usage: usage) {
                reasons[reason, default: 0] += 1
                continue
            }
            let free = usage.freeFraction(of: node)
            if best == nil || free > best!.free || (free == best!.free && name < best!.name) { best = (name, free) }
        }
        if let best { return .success(best.name) }
        return .failure(Unschedulable(total: nodes.count, reasons: reasons))
    }

    /// Why `node` cannot take `pod`, in kube-scheduler's words; nil when it can.
    static func rejection(of pod: Pod, by node: Node, usage: NodeUsage) -> String? {
        if !node.isReady { return "node(s) were not ready" }
        if !node.isSchedulable { return "node(s) were unschedulable" }
        let labels = node.metadata.labels ?? [:]
        for (key, value) in pod.spec.nodeSelector ?? [:] where labels[key] != value {
            return "node(s) didn't match Pod's node affinity/selector"
        }
        let tolerations = pod.spec.tolerations ?? []
        for taint in node.spec?.taints ?? [] where taint.effect == "NoSchedule" || taint.effect == "NoExecute" {
            if !tolerations.contains(where: { $0.tolerates(taint) }) {
                return "node(s) had untolerated taint {\(taint.key): \(taint.value ?? "")}"
            }
        }
        let name = node.metadata.name ?? ""
        let allocatable = node.status?.allocatable ?? [:]
        if let pods = allocatable["pods"], Int64(usage.podCount(on: name) + 1) > pods.value {
            return "Too many pods"
        }
        for (resource, request) in pod.spec.requests.sorted(by: { $0.key < $1.key }) where request.sign > 0 {
            let capacity = allocatable[resource] ?? .zero
            if usage.used(resource, on: name) + request > capacity { return "Insufficient \(resource)" }
        }
        return nil
    }
}

/// Why a pod fits nowhere, counted per reason as kube-scheduler reports it.
struct Unschedulable: Error, Equatable {
    var total: Int
    var reasons: [String: Int]

    var message: String {
        let parts = reasons.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        return "0/\(total) nodes are available: " + (parts.isEmpty ? "no nodes available to schedule pods" : parts.joined(separator: ", ")) + "."
    }
}

/// Requests of the pods bound to each node, updated as a pass binds more.
struct NodeUsage: Sendable {
    private var requests: [String: [String: Quantity]] = [:]
    private var counts: [String: Int] = [:]
    private var allocatable: [String: [String: Quantity]] = [:]

    init(snapshot: SiteSnapshot) {
        for node in snapshot.nodes { if let name = node.metadata.name { allocatable[name] = node.status?.allocatable ?? [:] } }
        for pod in snapshot.pods where !pod.isTerminal {
            if let node = pod.spec.nodeName { add(pod, to: node) }
        }
    }

    mutating func add(_ pod: Pod, to node: String) {
        counts[node, default: 0] += 1
        for (resource, quantity) in pod.spec.requests { requests[node, default: [:]][resource, default: .zero] += quantity }
    }

    func used(_ resource: String, on node: String) -> Quantity { requests[node]?[resource] ?? .zero }
    func podCount(on node: String) -> Int { counts[node] ?? 0 }

    /// The smaller of the free cpu and memory fractions.
    func freeFraction(of node: Node) -> Double {
        let name = node.metadata.name ?? ""
        var fraction = 1.0
        for resource in ["cpu", "memory"] {
            guard let capacity = allocatable[name]?[resource], capacity.sign > 0 else { continue }
            let free = Double(capacity.nanos - used(resource, on: name).nanos) / Double(capacity.nanos)
            fraction = min(fraction, free)
        }
        return fraction
    }
}
