/// How far the member-facing controllers are in step with the members, for an operator (and `flotilla bench fleet`)
/// to tell when a control plane that just started has caught up:
/// - `worksSynced` moves by the number of Works whose current spec this process has applied to, or verified
///   against, their member (up when a Work is first applied or verified, down when it is deleted or its cluster's
///   worker stops). After a restart it starts at 0 and reaches the number of Works once every one was checked.
/// - `clustersObserved` is set after each round of the cluster-status controller: the Push clusters it probed in
///   that round (and wrote the status of, when it changed), plus the Pull clusters whose agent's Lease it has seen.
public struct SyncMetrics: Sendable {
    public var worksSynced: @Sendable (Int) -> Void
    public var clustersObserved: @Sendable (Int) -> Void

    public init(worksSynced: @escaping @Sendable (Int) -> Void, clustersObserved: @escaping @Sendable (Int) -> Void) {
        self.worksSynced = worksSynced
        self.clustersObserved = clustersObserved
    }

    public static let none = SyncMetrics(worksSynced: { _ in }, clustersObserved: { _ in })
}
