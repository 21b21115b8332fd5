import FlotillaAPI

/// `ClusterLocality`: prefer clusters the workload already runs on (100), so rescheduling moves as little as possible.
public struct ClusterLocalityScore: ScorePlugin {
    public let name = "ClusterLocality"
    public init() {}

    public func score(_ context: SchedulingContext, _ cluster: ClusterView) -> Int {
        context.wasScheduled(on: cluster) ? ClusterScore.max : ClusterScore.min
    }
}
