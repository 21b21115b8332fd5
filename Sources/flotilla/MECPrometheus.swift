import FlotillaMEC
import Prometheus

/// The mobility service's Prometheus metrics: migrations by final phase and the downtime of completed ones.
enum MECPrometheus {
    static func metrics(registry: PrometheusCollectorRegistry) -> MigrationMetrics {
        func counter(_ phase: String) -> Counter {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "flotilla", subsystem: "mobility", metricName: "migrations",
                unitName: "total", helpText: "Session migrations by final phase (Completed, RolledBack, Failed)."), labels: [("phase", phase)])
        }
        let counters = Dictionary(uniqueKeysWithValues: ["Completed", "RolledBack", "Failed"].map { ($0, counter($0)) })
        let downtime = registry.makeDurationHistogram(descriptor: MetricNameDescriptor(namespace: "flotilla", subsystem: "mobility",
            metricName: "migration_downtime", unitName: "seconds", helpText: "Freeze at the source to resume at the target."),
            buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
                      .milliseconds(100), .milliseconds(500), .seconds(1)])
        return MigrationMetrics { phase, duration in
            counters[phase]?.increment()
            if let duration { downtime.record(duration) }
        }
    }
}
