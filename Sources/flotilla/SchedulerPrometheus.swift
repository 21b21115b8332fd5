import FlotillaControllers
import Prometheus

/// The scheduling loop's metrics in the API server's Prometheus registry (served at /metrics):
/// `flotilla_scheduler_attempts_total{result}`, `flotilla_scheduler_algorithm_duration_seconds`,
/// `flotilla_scheduler_e2e_duration_seconds` and `flotilla_scheduler_queue_depth`.
enum SchedulerPrometheus {
    static let buckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1),
    ]

    static func metrics(registry: PrometheusCollectorRegistry) -> SchedulingMetrics {
        func counter(_ result: String) -> Counter {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "flotilla", subsystem: "scheduler", metricName: "attempts",
                unitName: "total", helpText: "Scheduling attempts by result (scheduled, unschedulable)."), labels: [("result", result)])
        }
        let scheduled = counter("scheduled"), unschedulable = counter("unschedulable")
        let algorithm = registry.makeDurationHistogram(descriptor: MetricNameDescriptor(namespace: "flotilla", subsystem: "scheduler",
            metricName: "algorithm_duration", unitName: "seconds", helpText: "Time in the pure scheduling algorithm per binding."),
            buckets: buckets)
        let endToEnd = registry.makeDurationHistogram(descriptor: MetricNameDescriptor(namespace: "flotilla", subsystem: "scheduler",
            metricName: "e2e_duration", unitName: "seconds", helpText: "Decision plus writing the result, per binding."),
            buckets: buckets)
        let depth = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "flotilla", subsystem: "scheduler",
            metricName: "queue_depth", unitName: nil, helpText: "Bindings waiting for a decision at the start of the last pass."))
        return SchedulingMetrics(
            recordAttempt: { result in (result == "scheduled" ? scheduled : unschedulable).increment() },
            recordAlgorithm: { algorithm.record($0) },
            recordEndToEnd: { endToEnd.record($0) },
            recordQueueDepth: { depth.set(Double($0)) })
    }
}
