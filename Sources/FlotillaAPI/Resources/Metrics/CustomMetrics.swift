/// custom.metrics.k8s.io/v1beta2, as prometheus-adapter serves it: per-object values of an application's own
/// metrics (the game server's `flotilla_game_players`), read by FederatedHPA `Pods` metrics. Not stored: a
/// simulated site scrapes its pods' `/metrics` when asked; the control plane gathers its members' answers.
///
///     GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/{ns}/pods/{name|*}/{metric}?labelSelector=…&metricLabelSelector=…
///
/// Only pods are described objects here; other kinds answer 404.
public enum CustomMetrics {
    public static let group = "custom.metrics.k8s.io"
    public static let version = "v1beta2"
    public static var apiVersion: String { "\(group)/\(version)" }
    /// What a value is averaged over: a scrape is a point reading.
    public static let windowSeconds: Int64 = 1

    /// The path that asks for `query` (its selectors go in the query string).
    public static func path(_ query: CustomMetricQuery) -> String {
        "/apis/\(apiVersion)/namespaces/\(query.namespace)/pods/\(query.pod ?? "*")/\(query.metric)"
    }

    /// A `MetricValueList` of `items`.
    public static func list(_ items: [MetricValue]) -> JSONValue {
        ["kind": "MetricValueList", "apiVersion": .string(apiVersion), "metadata": .object([:]), "items": .array(items.map { $0.json })]
    }

    /// The items of a `MetricValueList` answer (values that do not decode are skipped).
    public static func items(of list: JSONValue) -> [MetricValue] {
        (list["items"]?.arrayValue ?? []).compactMap(MetricValue.init(json:))
    }
}

/// One request for a metric: which pods (one by name, or all matching a label selector) and which series.
public struct CustomMetricQuery: Sendable, Hashable {
    public var namespace: String
    /// nil: every pod (`*`).
    public var pod: String?
    public var metric: String
    public var labelSelector: String?
    /// Selects the metric's series by their labels.
    public var metricLabelSelector: String?

    public init(namespace: String, pod: String? = nil, metric: String, labelSelector: String? = nil, metricLabelSelector: String? = nil) {
        self.namespace = namespace
        self.pod = pod
        self.metric = metric
        self.labelSelector = labelSelector
        self.metricLabelSelector = metricLabelSelector
    }
}

/// `MetricValue`: a metric's value for one described object at a time.
public struct MetricValue: Sendable, Hashable {
    public var pod: String
    public var namespace: String
    public var metric: String
    public var metricSelector: LabelSelector?
    public var timestamp: Timestamp
    public var value: Quantity

    public init(pod: String, namespace: String, metric: String, metricSelector: LabelSelector? = nil, timestamp: Timestamp, value: Quantity) {
        self.pod = pod
        self.namespace = namespace
        self.metric = metric
        self.metricSelector = metricSelector
        self.timestamp = timestamp
        self.value = value
    }

    public var json: JSONValue {
        var metric: JSONObject = ["name": .string(self.metric)]
        if let metricSelector, let selector = try? ObjectEncoder().encode(metricSelector) { metric["selector"] = selector }
        return ["describedObject": ["kind": "Pod", "namespace": .string(namespace), "name": .string(pod), "apiVersion": "/v1"],
                "metric": .object(metric), "timestamp": .string(timestamp.description),
                "windowSeconds": .integer(CustomMetrics.windowSeconds), "value": .string(value.description)]
    }

    public init?(json: JSONValue) {
        guard let object = json["describedObject"], let pod = object["name"]?.stringValue, let name = json["metric"]?["name"]?.stringValue,
              let text = json["value"]?.stringValue, let value = try? Quantity(parsing: text) else { return nil }
        self.pod = pod
        self.namespace = object["namespace"]?.stringValue ?? ""
        self.metric = name
        self.metricSelector = json["metric"]?["selector"].flatMap { try? ObjectDecoder().decode(LabelSelector.self, from: $0) }
        self.timestamp = json["timestamp"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? Timestamp(seconds: 0)
        self.value = value
    }
}
