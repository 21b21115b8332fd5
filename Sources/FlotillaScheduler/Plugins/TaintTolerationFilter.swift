import FlotillaAPI

/// `TaintToleration`: NoSchedule and NoExecute taints must be tolerated by `clusterTolerations`. A cluster the
/// workload already runs on only has to tolerate NoExecute (it is not evicted by a new NoSchedule taint).
public struct TaintTolerationFilter: FilterPlugin {
    public let name = "TaintToleration"
    public init() {}

    public func filter(_ context: SchedulingContext, _ cluster: ClusterView) -> FilterFailure? {
        guard !cluster.taints.isEmpty else { return nil }
        let tolerations = context.placement.clusterTolerations ?? []
        let sticky = context.wasScheduled(on: cluster)
        for taint in cluster.taints {
            let relevant = taint.effect == "NoExecute" || (taint.effect == "NoSchedule" && !sticky)
            if relevant, !tolerations.contains(where: { $0.tolerates(taint) }) {
                let value = taint.value.map { "=\($0)" } ?? ""
                return FilterFailure(plugin: name, reason: "cluster(s) had untolerated taint {\(taint.key)\(value):\(taint.effect)}")
            }
        }
        return nil
    }
}
