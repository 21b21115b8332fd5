import FlotillaAPI

/// Pure: what to write for a Cluster whose new status has been worked out — the status when it changed, an event when
/// Ready flipped, and whether Karmada's `cluster.karmada.io/not-ready:NoSchedule` taint should be on the Cluster. The
/// cluster-status controller carries the actions out: the status first, then `taints(_:notReady:now:)` on the
/// Cluster the status write returned (the freshest spec, which other controllers' taints may have changed).
public struct ClusterStatusPlan: Sendable, Equatable {
    public struct Event: Sendable, Equatable {
        public var type: String
        public var reason: String
        public var message: String
    }

    /// The status to write; nil when it did not change.
    public var status: ClusterStatus?
    public var event: Event?
    /// Whether the not-ready taint belongs on the Cluster.
    public var notReady = false

    public static let notReadyTaint = "cluster.karmada.io/not-ready"

    public static func plan(_ cluster: Cluster, status: ClusterStatus) -> ClusterStatusPlan {
        var plan = ClusterStatusPlan()
        if status != cluster.status {
            plan.status = status
            let before = cluster.status?.conditions?[type: "Ready"]
            if let after = status.conditions?[type: "Ready"], before?.status != after.status {
                let ready = after.status == .true
                plan.event = Event(type: ready ? "Normal" : "Warning", reason: ready ? "ClusterReady" : "ClusterNotReady",
                                   message: after.message ?? "")
            }
        }
        plan.notReady = status.conditions?[type: "Ready"]?.status == .false
        return plan
    }

    /// The taints with the not-ready taint added or removed to match `notReady`; nil when they already match.
    public static func taints(_ current: [Taint], notReady: Bool, now: Timestamp) -> [Taint]?? {
        let tainted = current.contains { $0.key == notReadyTaint && $0.effect == "NoSchedule" }
        guard notReady != tainted else { return nil }
        var taints = current
        if notReady {
            taints.append(Taint(key: notReadyTaint, effect: "NoSchedule", timeAdded: now))
        } else {
            taints.removeAll { $0.key == notReadyTaint }
        }
        return .some(taints.isEmpty ? nil : taints)
    }
}
