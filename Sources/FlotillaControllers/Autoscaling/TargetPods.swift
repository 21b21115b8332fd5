import FlotillaAPI
import FlotillaRuntime
import KubeClient
import Logging

/// What the autoscalers read about a federated template's pods: the pods on each cluster its binding holds and
/// their metrics.k8s.io usage, gathered at once (a cluster that does not answer adds none), and the pods' requests.
enum TargetPods {
    /// One of the target's pods, where it runs and what it reports.
    struct Member: Sendable {
        var cluster: String
        var pod: Pod
        /// metrics.k8s.io usage; nil when the pod has none.
        var usage: PodMetrics?
        /// custom.metrics.k8s.io values of the metrics asked for; a metric the pod does not report is absent.
        var custom: [MetricIdentifier: Double] = [:]
    }

    /// The target's live pods on `clusters`, with their usage and the `customMetrics` asked for. A cluster that does
    /// not answer adds no pods; one whose custom metrics do not answer adds its pods without them.
    static func gather(_ clusters: [Cluster], namespace: String, selector: String?, customMetrics: [MetricIdentifier] = [],
                       connections: ClusterConnections, logger: Logger) async -> [Member]
    {
        let results = await concurrently(clusters.filter(connections.serves), limit: 16) { cluster -> [Member] in
            let name = cluster.metadata.name ?? ""
            do throws(APIError) {
                let member = try await connections.client(for: cluster)
                let query = ListQuery(labelSelector: selector)
                let pods = try await member.list(Pod.descriptor, namespace: namespace, options: query).items.compactMap { try? Pod(json: $0) }
                let metrics = try await member.list(PodMetrics.descriptor, namespace: namespace, options: query).items
                    .compactMap { try? PodMetrics(json: $0) }
                let byName = Dictionary(metrics.map { ($0.metadata.name ?? "", $0) }, uniquingKeysWith: { a, _ in a })
                var custom: [String: [MetricIdentifier: Double]] = [:]
                for metric in customMetrics {
                    let series = metric.selector.flatMap { try? $0.selector().description }
                    do {
                        let values = try await member.customMetrics(CustomMetricQuery(namespace: namespace, metric: metric.name,
                                                                                      labelSelector: selector, metricLabelSelector: series))
                        for value in values { custom[value.pod, default: [:]][metric] = Double(value.value.nanos) / 1e9 }
                    } catch {
                        logger.debug("no custom metric from a cluster", metadata: ["cluster": "\(name)", "metric": "\(metric.name)", "error": "\(error)"])
                    }
                }
                return pods.filter { !$0.isTerminal && $0.metadata.deletionTimestamp == nil }.map { pod in
                    let podName = pod.metadata.name ?? ""
                    return Member(cluster: name, pod: pod, usage: byName[podName], custom: custom[podName] ?? [:])
                }
            } catch {
                logger.debug("no metrics from a cluster", metadata: ["cluster": "\(name)", "error": "\(error)"])
                return []
            }
        }
        return results.flatMap { $0 }
    }

    /// The clusters the template's binding holds.
    static func clusters(of reference: CrossVersionObjectReference, namespace: String, snapshot: ObjectSnapshot) -> [Cluster] {
        let all = snapshot.typedByName(Cluster.self)
        let key = "\(namespace)/\(ResourceBinding.name(forTemplate: reference.name, kind: reference.kind))"
        return (snapshot.object(ResourceBinding.descriptor, key: key).flatMap { try? ResourceBinding(json: $0) }?.spec.clusters ?? [])
            .compactMap { all[$0.name] }
    }

    /// The label selector of the target's pods: the scale subresource's (`labelSelectorPath`) or `spec.selector`.
    static func selector(of template: JSONValue, kind: ResourceDescriptor) -> String? {
        if let path = kind.scalePaths?.labelSelectorPath { return StatusPath(path)?.read(template) }
        guard let selector = template["spec"]?["selector"].flatMap({ try? ObjectDecoder().decode(LabelSelector.self, from: $0) }) else { return nil }
        return (try? selector.selector())?.description
    }

    /// A pod's request of `resource` summed over its containers; nil when a container sets none.
    static func request(_ pod: Pod, _ resource: String) -> Double? {
        var total = 0.0
        for container in pod.spec.containers {
            guard let quantity = container.resources?.requests?[resource] else { return nil }
            total += value(quantity)
        }
        return total
    }

    /// A quantity in its unit (cores, bytes).
    static func value(_ quantity: Quantity?) -> Double { quantity.map { Double($0.nanos) / 1e9 } ?? 0 }
}
