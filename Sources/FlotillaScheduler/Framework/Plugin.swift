import FlotillaAPI

/// Why a filter rejected a cluster: the phrase Karmada prints after "N cluster(s) …".
public struct FilterFailure: Sendable, Hashable {
    public var plugin: String
    public var reason: String
}

/// Decides whether a cluster can take the workload at all. Plugins read the scheduler's `ClusterView` (the Cluster
/// and the fields every decision needs, worked out once), never a copy of the Cluster.
///
/// The answer for a cluster may depend on the context and on that cluster, and on the previous result only through
/// whether this cluster is in it: `ClusterSnapshot` reuses one ranking for every binding of a placement and
/// re-evaluates just the clusters each binding already runs on.
public protocol FilterPlugin: Sendable {
    var name: String { get }
    func filter(_ context: SchedulingContext, _ cluster: ClusterView) -> FilterFailure?
}

/// Ranks the clusters that passed: 0 (`minScore`) to 100 (`maxScore`). The same rule as for filters holds: the
/// previous result may matter only through whether this cluster is in it.
public protocol ScorePlugin: Sendable {
    var name: String { get }
    func score(_ context: SchedulingContext, _ cluster: ClusterView) -> Int
}

public enum ClusterScore {
    public static let min = 0
    public static let max = 100
}
