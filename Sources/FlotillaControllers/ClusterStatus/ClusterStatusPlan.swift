import FlotillaAPI

/// Pure: what to write for a Cluster whose new status has been worked out — the status when it changed, an event when
/// Ready flipped, and which of Karmada's built-in NoSchedule taints belongs on the Cluster:
///
/// | Ready | taint |
/// |---|---|
/// | False | `cluster.karmada.io/not-ready:NoSchedule` |
/// | Unknown (a Pull cluster's agent stopped renewing its lease) | `cluster.karmada.io/unreachable:NoSchedule` |
/// | True, or no condition | neither |
///
/// The cluster-status controller carries the actions out: the status first, then `taints(_:wanted:now:)` on the
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
    /// The built-in taint that belongs on the Cluster (its key), if any.
    public var taint: String?

    public static let notReadyTaint = Placement.notReadyTaintKey
    public static let unreachableTaint = Placement.unreachableTaintKey
    static let builtinTaints = [notReadyTaint, unreachableTaint]

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
        switch status.conditions?[type: "Ready"]?.status {
        case .false: plan.taint = notReadyTaint
        case .unknown: plan.taint = unreachableTaint
        case .true, nil: plan.taint = nil
        }
        return plan
    }

    /// The taints with the built-in NoSchedule taint `wanted` present and the other one absent; nil when they already
    /// are. Removing a built-in taint takes off every taint with its key (a ClusterTaintPolicy's NoExecute one too).
    public static func taints(_ current: [Taint], wanted: String?, now: Timestamp) -> [Taint]?? {
        let present = current.contains { $0.key == wanted && $0.effect == "NoSchedule" }
        let stale = builtinTaints.filter { key in key != wanted && current.contains { $0.key == key && $0.effect == "NoSchedule" } }
        guard !stale.isEmpty || (wanted != nil && !present) else { return nil }
        var taints = current.filter { !stale.contains($0.key) }
        if let wanted, !present { taints.append(Taint(key: wanted, effect: "NoSchedule", timeAdded: now)) }
        return .some(taints.isEmpty ? nil : taints)
    }
}
