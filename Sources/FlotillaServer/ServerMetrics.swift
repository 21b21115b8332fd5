import Foundation
import Prometheus
import Synchronization

/// The API server's Prometheus metrics: requests by verb, resource and code, their latency, live watches, and
/// store latency. Served at /metrics in the text exposition format.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let watches: Gauge
    /// Collectors by label set, so that a request does not rebuild descriptors and label arrays.
    private let requestCollectors = Mutex<[String: (Counter, DurationHistogram)]>([:])
    private let storeCollectors = Mutex<[String: DurationHistogram]>([:])

    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(1000), .seconds(5),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.watches = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "flotilla", subsystem: "apiserver", metricName: "watches", unitName: nil,
            helpText: "Watch streams currently open."))
    }

    func recordRequest(verb: String, resource: String, code: Int, duration: Duration) {
        let key = "\(verb) \(resource) \(code)"
        if let (counter, histogram) = requestCollectors.withLock({ $0[key] }) {
            counter.increment()
            histogram.record(duration)
            return
        }
        let counter = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "flotilla", subsystem: "apiserver", metricName: "requests", unitName: "total",
            helpText: "API requests by verb, resource and HTTP code."),
            labels: [("verb", verb), ("resource", resource), ("code", String(code))])
        let histogram = registry.makeDurationHistogram(descriptor: MetricNameDescriptor(
            namespace: "flotilla", subsystem: "apiserver", metricName: "request_duration", unitName: "seconds",
            helpText: "API request latency by verb and resource (watches: until the stream opens)."),
            labels: [("verb", verb), ("resource", resource)], buckets: Self.latencyBuckets)
        requestCollectors.withLock { $0[key] = (counter, histogram) }
        counter.increment()
        histogram.record(duration)
    }

    func recordStore(operation: String, duration: Duration) {
        if let histogram = storeCollectors.withLock({ $0[operation] }) {
            histogram.record(duration)
            return
        }
        let histogram = registry.makeDurationHistogram(descriptor: MetricNameDescriptor(
            namespace: "flotilla", subsystem: "store", metricName: "operation_duration", unitName: "seconds",
            helpText: "Store operation latency as seen by the API server."),
            labels: [("operation", operation)], buckets: Self.latencyBuckets)
        storeCollectors.withLock { $0[operation] = histogram }
        histogram.record(duration)
    }

    public func exposition() -> String { registry.emitToString() }
}
