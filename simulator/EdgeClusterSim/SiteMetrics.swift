import AsyncHTTPClient
import FlotillaAPI
import FlotillaAPIExtension
import FlotillaServer
import FlotillaStore
import Synchronization

/// The site's metrics.k8s.io, computed when asked as metrics-server would report it: each running pod's usage is an
/// override set through the admin endpoint, else what its workload's own model says (the game server's grows with
/// its players), else idle; a node's is its pods' plus the system's. Usage is split evenly over a pod's containers.
/// Its custom.metrics.k8s.io is prometheus-adapter's: each running workload's `/metrics` is scraped over HTTP when
/// asked, and a metric's value for a pod is the sum of its series that `metricLabelSelector` selects.
final class SiteMetrics: ComputedResources {
    /// What a pod with no model and no override uses.
    static let idle = WorkloadUsage(cpu: Quantity(milli: 1), memory: Quantity(8 * 1_048_576, format: .binarySI))
    /// What a node's kubelet and system daemons use besides its pods.
    static let system = WorkloadUsage(cpu: Quantity(milli: 50), memory: Quantity(256 * 1_048_576, format: .binarySI))
    static let window = "1s"

    let store: any Store
    let reconciler: SiteReconciler
    let clock: any TimeSource
    /// Overrides by `namespace/pod`.
    private let overrides = Mutex<[String: WorkloadUsage]>([:])

    init(store: any Store, reconciler: SiteReconciler, clock: any TimeSource) {
        self.store = store
        self.reconciler = reconciler
        self.clock = clock
    }

    /// Sets (or, with nil, clears) what a pod is said to use, whatever its workload reports.
    func override(namespace: String, pod: String, usage: WorkloadUsage?) {
        overrides.withLock { $0["\(namespace)/\(pod)"] = usage }
    }

    func objects(_ resource: GroupResource, namespace: String?) async throws(APIError) -> [JSONValue] {
        let now = Timestamp(clock.now())
        let pods = try await runningPods(namespace: resource == PodMetrics.descriptor.groupResource ? namespace : nil)
        var usages: [(Pod, WorkloadUsage)] = []
        for pod in pods { usages.append((pod, await usage(of: pod))) }
        switch resource {
        case PodMetrics.descriptor.groupResource:
            return usages.map { pod, usage in Self.podMetrics(pod, usage: usage, now: now).json() }
        case NodeMetrics.descriptor.groupResource:
            let nodes = try await store.list(Node.descriptor.groupResource, options: ListOptions()).items.compactMap { try? Node(json: $0) }
            return nodes.map { node in
                let onNode = usages.filter { $0.0.spec.nodeName == node.metadata.name }.map(\.1)
                let cpu = onNode.reduce(Self.system.cpu) { $0 + $1.cpu }, memory = onNode.reduce(Self.system.memory) { $0 + $1.memory }
                return NodeMetrics(metadata: ObjectMeta(name: node.metadata.name, labels: node.metadata.labels), timestamp: now,
                                   window: Self.window, usage: ["cpu": cpu, "memory": memory]).json()
            }
        default:
            return []
        }
    }

    func customMetrics(_ query: CustomMetricQuery) async throws(APIError) -> [MetricValue] {
        let labels = try Self.selector(query.labelSelector, "labelSelector"), series = try Self.selector(query.metricLabelSelector, "metricLabelSelector")
        let pods = try await runningPods(namespace: query.namespace)
            .filter { pod in (query.pod.map { $0 == pod.metadata.name } ?? true) && labels.matches(pod.metadata.labels ?? [:]) }
        let now = Timestamp(clock.now())
        let metricSelector = series.requirements.isEmpty ? nil : LabelSelector(series)
        return await withTaskGroup(of: MetricValue?.self) { group in
            for pod in pods {
                group.addTask {
                    let samples = await self.scrape(pod).filter { $0.name == query.metric && series.matches($0.labels) }
                    guard !samples.isEmpty else { return nil }
                    let total = samples.reduce(0) { $0 + $1.value }
                    return MetricValue(pod: pod.metadata.name ?? "", namespace: query.namespace, metric: query.metric,
                                       metricSelector: metricSelector, timestamp: now, value: Quantity(nanos: Int128(total * 1e9)))
                }
            }
            var values: [MetricValue] = []
            for await value in group { if let value { values.append(value) } }
            return values
        }
    }

    func customMetricNames() async -> [String] {
        let pods = (try? await runningPods(namespace: nil)) ?? []
        var names = Set<String>()
        for pod in pods { for sample in await scrape(pod) { names.insert(sample.name) } }
        return names.sorted()
    }

    /// The pod's `/metrics`, scraped from its running workload (none: it runs none, or it does not answer in a second).
    private func scrape(_ pod: Pod) async -> [PrometheusSample] {
        guard let uid = pod.metadata.uid, let port = await reconciler.port(ofPod: uid) else { return [] }
        do {
            let response = try await SiteServiceProxy.client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(1))
            guard response.status == .ok else { return [] }
            let body = try await response.body.collect(upTo: 1 << 20)
            return PrometheusText.samples(String(buffer: body))
        } catch {
            return []
        }
    }

    private static func selector(_ text: String?, _ name: String) throws(APIError) -> Selector {
        do {
            return try Selector(parsing: text ?? "")
        } catch {
            throw APIError.badRequest("unable to parse \(name) \"\(text ?? "")\": \(error)")
        }
    }

    private func runningPods(namespace: String?) async throws(APIError) -> [Pod] {
        let items = try await store.list(Pod.descriptor.groupResource, options: ListOptions(filter: ObjectFilter(namespace: namespace))).items
        return items.compactMap { try? Pod(json: $0) }.filter { $0.phase == "Running" && $0.spec.nodeName != nil }
    }

    private func usage(of pod: Pod) async -> WorkloadUsage {
        if let override = overrides.withLock({ $0["\(pod.metadata.namespace ?? "")/\(pod.metadata.name ?? "")"] }) { return override }
        if let uid = pod.metadata.uid, let modelled = await reconciler.usage(ofPod: uid) { return modelled }
        return Self.idle
    }

    static func podMetrics(_ pod: Pod, usage: WorkloadUsage, now: Timestamp) -> PodMetrics {
        let count = Int64(max(pod.spec.containers.count, 1))
        let containers = pod.spec.containers.map { container in
            ContainerMetrics(name: container.name, usage: ["cpu": Quantity(nanos: usage.cpu.nanos / Int128(count)),
                                                           "memory": Quantity(nanos: usage.memory.nanos / Int128(count), format: .binarySI)])
        }
        var metadata = ObjectMeta(name: pod.metadata.name, namespace: pod.metadata.namespace, labels: pod.metadata.labels)
        metadata.creationTimestamp = now
        return PodMetrics(metadata: metadata, timestamp: now, window: window, containers: containers)
    }
}
