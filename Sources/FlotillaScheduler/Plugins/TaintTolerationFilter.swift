import FlotillaAPI

/// `TaintToleration`: NoSchedule and NoExecute taints must be tolerated by `clusterTolerations`. A cluster the
/// workload already runs on only has to tolerate NoExecute (it is not evicted by a new NoSchedule taint), and for
/// as long as its toleration lasts (the failover controller evicts when `tolerationSeconds` run out).
///
/// A cluster the workload does not run on must tolerate a NoExecute taint without a time limit. Kubernetes lets a
/// pod with `tolerationSeconds` land on such a node and evicts it later; for a federation that is a loop: replicas
/// evicted from a failed cluster, placed back on it (its taint still "tolerated" for 3 s), evicted again.
public struct TaintTolerationFilter: FilterPlugin {
    public let name = "TaintToleration"
    public init() {}

    public func filter(_ context: SchedulingContext, _ cluster: ClusterView) -> FilterFailure? {
        guard !cluster.taints.isEmpty else { return nil }
        let tolerations = context.placement.clusterTolerations ?? []
        let sticky = context.wasScheduled(on: cluster)
        for taint in cluster.taints {
            let tolerated: Bool
            switch taint.effect {
            case "NoExecute":
                tolerated = tolerations.contains { $0.tolerates(taint) && (sticky || $0.tolerationSeconds == nil) }
            case "NoSchedule":
                tolerated = sticky || tolerations.contains { $0.tolerates(taint) }
            default:
                tolerated = true
            }
            if !tolerated {
                let value = taint.value.map { "=\($0)" } ?? ""
                return FilterFailure(plugin: name, reason: "cluster(s) had untolerated taint {\(taint.key)\(value):\(taint.effect)}")
            }
        }
        return nil
    }
}
