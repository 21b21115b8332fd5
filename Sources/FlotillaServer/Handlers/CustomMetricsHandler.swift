import FlotillaAPI
import FlotillaAPIExtension
import Hummingbird

/// custom.metrics.k8s.io/v1beta2, answered from `ComputedResources` as an adapter behind kube-apiserver answers it:
/// the group and version documents (one `pods/<metric>` resource per metric the pods expose now) and the values of
/// one metric for one pod or all of a namespace's (`*`), narrowed by `labelSelector` and `metricLabelSelector`.
/// Only GET, only pods.
struct CustomMetricsHandler {
    enum Route: Equatable {
        case group
        case version
        case values(namespace: String, pod: String?, metric: String)
        case notFound
    }

    let source: (any ComputedResources)?

    /// nil when the path is not in the group.
    static func route(_ path: String) -> Route? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
        guard parts.count >= 2, parts[0] == "apis", parts[1] == CustomMetrics.group else { return nil }
        if parts.count == 2 { return .group }
        guard parts[2] == CustomMetrics.version else { return .notFound }
        if parts.count == 3 { return .version }
        // namespaces/{ns}/pods/{name|*}/{metric}
        guard parts.count == 8, parts[3] == "namespaces", parts[5] == "pods" else { return .notFound }
        return .values(namespace: parts[4], pod: parts[6] == "*" ? nil : parts[6], metric: parts[7])
    }

    func respond(_ route: Route, method: HTTPRequest.Method, query: RequestOptions) async throws -> Response {
        guard method == .get || method == .head else {
            throw APIError(.methodNotAllowed, "\(CustomMetrics.group) only answers GET")
        }
        switch route {
        case .group:
            return Responses.json(Self.groupDocument)
        case .version:
            let names = await source?.customMetricNames() ?? []
            let resources: [JSONValue] = names.sorted().map { name in
                ["name": .string("pods/\(name)"), "singularName": "", "namespaced": true, "kind": "MetricValueList", "verbs": ["get"]]
            }
            return Responses.json(["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(CustomMetrics.apiVersion),
                                   "resources": .array(resources)])
        case .values(let namespace, let pod, let metric):
            guard let source else { throw APIError(.serviceUnavailable, "this server serves no \(CustomMetrics.group)") }
            let labels = query["labelSelector"], series = query["metricLabelSelector"]
            for (name, text) in [("labelSelector", labels), ("metricLabelSelector", series)] {
                guard let text, !text.isEmpty else { continue }
                do {
                    _ = try Selector(parsing: text)
                } catch {
                    throw APIError.badRequest("unable to parse \(name) \"\(text)\": \(error)")
                }
            }
            let values = try await source.customMetrics(CustomMetricQuery(namespace: namespace, pod: pod, metric: metric,
                                                                          labelSelector: labels, metricLabelSelector: series))
            if let pod, values.isEmpty {
                throw APIError(.notFound, "the server could not find the metric \(metric) for pods \(pod)")
            }
            return Responses.json(CustomMetrics.list(values.sorted { $0.pod < $1.pod }))
        case .notFound:
            throw APIError(.notFound, "the server could not find the requested resource (only pods/<metric> in \(CustomMetrics.apiVersion))")
        }
    }

    static let groupDocument: JSONValue = {
        let version: JSONValue = ["groupVersion": .string(CustomMetrics.apiVersion), "version": .string(CustomMetrics.version)]
        return ["kind": "APIGroup", "apiVersion": "v1", "name": .string(CustomMetrics.group), "versions": [version], "preferredVersion": version]
    }()
}
