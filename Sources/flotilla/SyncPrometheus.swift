import FlotillaControllers
import Prometheus

/// How far the control plane is in step with its members, in the API server's Prometheus registry (served at
/// /metrics): `flotilla_execution_works_synced` and `flotilla_cluster_status_clusters_observed` (`SyncMetrics`).
enum SyncPrometheus {
    static func metrics(registry: PrometheusCollectorRegistry) -> SyncMetrics {
        let works = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "flotilla", subsystem: "execution", metricName: "works_synced",
            unitName: nil, helpText: "Works whose current spec this process applied to, or verified against, their member."))
        let clusters = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "flotilla", subsystem: "cluster_status",
            metricName: "clusters_observed", unitName: nil,
            helpText: "Clusters seen in the last round: Push clusters probed, Pull clusters whose agent's Lease was found."))
        return SyncMetrics(worksSynced: { works.increment(by: Double($0)) }, clustersObserved: { clusters.set(Double($0)) })
    }
}
