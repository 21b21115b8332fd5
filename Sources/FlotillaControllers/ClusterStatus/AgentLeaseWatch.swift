import FlotillaAPI

/// Pure: whether a Pull cluster's agent still speaks for it. The agent renews the Lease `karmada-cluster/<cluster>`
/// (`PullAgent`); the control plane cannot probe the member, so it judges the agent by that Lease alone, as Karmada's
/// cluster controller does: by when it last saw the Lease change on its own monotonic clock, never by the
/// `renewTime` the site wrote (an edge site's clock may be off). The first look starts the clock, so a control plane
/// that restarts gives every agent a full grace period before judging it.
///
/// | Lease since the last look | silent for | Ready becomes |
/// |---|---|---|
/// | changed (or first look) | 0 | unchanged: the agent writes it |
/// | unchanged, or absent | < grace | unchanged |
/// | unchanged, or absent | ≥ grace | Unknown (`ClusterStatusUnknown`) |
public struct AgentLeaseWatch: Sendable {
    /// Where agents keep their Leases (each named after its cluster), beside the push clusters' Secrets.
    public static let namespace = "karmada-cluster"

    public let grace: Duration
    /// The Lease's resourceVersion at the last change seen ("" for no Lease), and when it was seen.
    private(set) var seen: (version: String, at: Duration)?

    public init(grace: Duration) { self.grace = grace }

    /// Whether the last look found the agent's Lease.
    public var sawLease: Bool { !(seen?.version.isEmpty ?? true) }

    /// Records a look at the Lease (`leaseVersion`: its resourceVersion, nil when there is none) at `now`; returns
    /// the conditions to write, or nil while the agent counts as alive (the agent's own status stands).
    public mutating func observe(leaseVersion: String?, at now: Duration, conditions current: [Condition],
                                 timestamp: Timestamp) -> [Condition]? {
        let version = leaseVersion ?? ""
        guard let seen, seen.version == version else {
            self.seen = (version, now)
            return nil
        }
        let silent = now - seen.at
        guard silent >= grace else { return nil }
        var conditions = current
        // A message that does not change from one look to the next: the status is written once, not every interval.
        conditions.set(Condition(type: "Ready", status: .unknown, reason: "ClusterStatusUnknown",
            message: version.isEmpty ? "the cluster's agent has not renewed its lease within \(grace)"
                : "the cluster's agent stopped renewing its lease for \(grace) or more"), now: timestamp)
        return conditions
    }
}
