import FlotillaAPI
import FlotillaRuntime
import Foundation
import KubeClient
import Logging

/// Karmada's FederatedHPA controller: every `syncPeriod` each FederatedHPA reads its target's pods and their
/// metrics.k8s.io usage on every cluster its binding places it on, asks the pure `ReplicaCalculator` for each
/// metric (the largest answer wins), lets the pure `ScalingBehavior` stabilize and rate-limit it, writes the new
/// count to the template's replicas (the scheduler divides it among the clusters) and reports status, conditions
/// (AbleToScale, ScalingActive, ScalingLimited) and `SuccessfulRescale` events. The default sync is half a second,
/// so a load step is acted on within about that (`flotilla bench autoscale`); Kubernetes' HPA and Karmada's sync
/// every 15 s. Each sync costs two list requests per cluster the target runs on.
public actor FederatedHPAController {
    let client: any ObjectClient
    let connections: ClusterConnections
    let clock: any TimeSource
    let logger: Logger
    let events: EventWriter
    let syncPeriod: Duration
    /// Per FederatedHPA (`namespace/name`): its recent recommendations and scale events, for `behavior`.
    private var history: [String: (recommendations: [ScalingBehavior.Recommendation], events: [ScalingBehavior.ScaleEvent])] = [:]

    public init(client: any ObjectClient, connections: ClusterConnections, syncPeriod: Duration = .milliseconds(500),
                clock: any TimeSource = SystemTimeSource(), logger: Logger = Logger(label: "flotilla.federatedhpa")) {
        self.client = client
        self.connections = connections
        self.syncPeriod = syncPeriod
        self.clock = clock
        self.logger = logger
        self.events = EventWriter(client: client, component: "federatedhpa-controller", clock: clock)
    }

    public nonisolated func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        ControllerLoop(name: "federatedhpa", client: client, informers: informers,
                       resources: [FederatedHPA.descriptor, ResourceBinding.descriptor, Cluster.descriptor, CustomResourceDefinition.descriptor],
                       statusBlind: [FederatedHPA.descriptor, ResourceBinding.descriptor, Cluster.descriptor, CustomResourceDefinition.descriptor],
                       clock: runtimeClock(clock), logger: logger) { snapshot, _ in
            await self.reconcile(snapshot)
        }
    }

    func reconcile(_ snapshot: ObjectSnapshot) async -> Duration? {
        let autoscalers = snapshot.typed(FederatedHPA.self).filter { $0.metadata.deletionTimestamp == nil }
        let live = Set(autoscalers.map(Self.key))
        history = history.filter { live.contains($0.key) }
        guard !autoscalers.isEmpty else { return nil }
        let kinds = TemplateKinds(snapshot)
        for autoscaler in autoscalers {
            do throws(APIError) {
                try await sync(autoscaler, snapshot: snapshot, kinds: kinds)
            } catch {
                if error.reason != .conflict && error.reason != .notFound {
                    logger.warning("autoscaler sync failed", metadata: ["federatedhpa": "\(Self.key(autoscaler))", "error": "\(error)"])
                }
            }
        }
        return syncPeriod
    }

    static func key(_ autoscaler: FederatedHPA) -> String { "\(autoscaler.metadata.namespace ?? "")/\(autoscaler.metadata.name ?? "")" }

    func sync(_ autoscaler: FederatedHPA, snapshot: ObjectSnapshot, kinds: TemplateKinds) async throws(APIError) {
        let namespace = autoscaler.metadata.namespace ?? "default"
        let reference = autoscaler.spec.scaleTargetRef
        let now = Timestamp(clock.now())
        var status = autoscaler.status ?? HorizontalPodAutoscalerStatus(desiredReplicas: 0)
        status.observedGeneration = autoscaler.metadata.generation
        var conditions = status.conditions ?? []
        func finish() async throws(APIError) {
            status.conditions = conditions
            try await writeStatus(autoscaler, status)
        }
        guard let kind = kinds.kind(apiVersion: reference.apiVersion, kind: reference.kind), kind.subresources.contains("scale") else {
            conditions.set(Condition(type: "AbleToScale", status: .false, reason: "FailedGetScale",
                message: "\(reference.apiVersion ?? "") \(reference.kind) has no scale subresource Flotilla serves"), now: now)
            return try await finish()
        }
        let template: JSONValue
        do {
            template = try await client.get(kind, namespace: namespace, name: reference.name)
        } catch {
            guard error.reason == .notFound else { throw error }
            conditions.set(Condition(type: "AbleToScale", status: .false, reason: "FailedGetScale",
                message: "\(reference.kind) \(namespace)/\(reference.name) not found"), now: now)
            return try await finish()
        }
        let replicaKeys = kind.scalePaths.flatMap { StatusPath($0.specReplicasPath)?.keys } ?? ["spec", "replicas"]
        let current = Int(template.value(at: replicaKeys)?.int64Value ?? 1)
        status.currentReplicas = Int32(current)
        let minReplicas = Int(autoscaler.spec.minReplicas ?? 1), maxReplicas = Int(autoscaler.spec.maxReplicas)
        conditions.set(Condition(type: "AbleToScale", status: .true, reason: "SucceededGetScale",
                                 message: "the HPA controller was able to get the target's current scale"), now: now)
        guard current > 0 else {
            conditions.set(Condition(type: "ScalingActive", status: .false, reason: "ScalingDisabled",
                                     message: "scaling is disabled since the replica count of the target is zero"), now: now)
            status.desiredReplicas = 0
            return try await finish()
        }

        // Metrics: the target's pods on every cluster its binding holds.
        let selector = TargetPods.selector(of: template, kind: kind)
        let targets = TargetPods.clusters(of: reference, namespace: namespace, snapshot: snapshot)
        let metrics = autoscaler.spec.metrics ?? []
        let pods = await TargetPods.gather(targets, namespace: namespace, selector: selector, customMetrics: metrics.compactMap(\.pods?.metric),
                                           connections: connections, logger: logger)
        var proposals: [(replicas: Int, status: MetricStatus, reason: String)] = []
        var failures: [String] = []
        for metric in metrics {
            if let source = metric.pods {
                // A plain per-pod metric: every pod counts as Ready (Kubernetes sets only CPU pods aside while they start).
                let samples = pods.map { pod in
                    ReplicaCalculator.PodSample(name: "\(pod.cluster)/\(pod.pod.metadata.name ?? "")", ready: true, request: nil,
                                                usage: pod.custom[source.metric])
                }
                switch ReplicaCalculator.replicas(current: current, samples: samples, target: .averageValue(TargetPods.value(source.target.averageValue))) {
                case .success(let result):
                    let reading = MetricValueStatus(averageUtilization: nil, averageValue: Quantity(nanos: Int128(result.averageValue * 1e9)))
                    proposals.append((result.replicas, MetricStatus(type: "Pods", pods: PodsMetricStatus(metric: source.metric, current: reading)),
                                      "pods metric \(source.metric.name)"))
                case .failure:
                    failures.append("no values of \(source.metric.name) from custom.metrics.k8s.io for the target's \(pods.count) pods on \(targets.count) clusters")
                }
                continue
            }
            guard let source = metric.resource else { continue }
            let target: ReplicaCalculator.Target = source.target.type == "Utilization"
                ? .utilization(source.target.averageUtilization ?? 80) : .averageValue(TargetPods.value(source.target.averageValue))
            let samples = pods.map { pod in
                ReplicaCalculator.PodSample(name: pod.pod.metadata.name ?? "", ready: pod.pod.isReady, request: TargetPods.request(pod.pod, source.name),
                                            usage: pod.usage.map { TargetPods.value($0.usage[source.name]) })
            }
            switch ReplicaCalculator.replicas(current: current, samples: samples, target: target) {
            case .success(let result):
                let reading = MetricValueStatus(averageUtilization: result.utilization,
                                                averageValue: Quantity(nanos: Int128(result.averageValue * 1e9), format: source.name == "memory" ? .binarySI : .decimalSI))
                let description = result.utilization != nil ? "\(source.name) resource utilization (percentage of request)" : "\(source.name) resource"
                proposals.append((result.replicas, MetricStatus(type: "Resource", resource: ResourceMetricStatus(name: source.name, current: reading)),
                                  description))
            case .failure(.noMetrics):
                failures.append("no metrics for \(source.name) from the target's \(pods.count) pods on \(targets.count) clusters")
            case .failure(.missingRequest(let pod)):
                failures.append("missing request for \(source.name) in pod \(pod)")
            }
        }
        guard let best = proposals.max(by: { $0.replicas < $1.replicas }) else {
            conditions.set(Condition(type: "ScalingActive", status: .false, reason: "FailedGetResourceMetric",
                                     message: "the HPA was unable to compute the replica count: " + failures.joined(separator: "; ")), now: now)
            status.desiredReplicas = Int32(current)
            return try await finish()
        }
        status.currentMetrics = proposals.map(\.status)
        conditions.set(Condition(type: "ScalingActive", status: .true, reason: "ValidMetricFound",
            message: "the HPA was able to successfully calculate a replica count from \(best.reason)"), now: now)

        // Behavior, then the write.
        let key = Self.key(autoscaler)
        var memory = history[key] ?? ([], [])
        let date = clock.now()
        let (outcome, kept) = ScalingBehavior.normalize(desired: best.replicas, current: current, minReplicas: minReplicas, maxReplicas: maxReplicas,
            behavior: autoscaler.spec.behavior ?? HorizontalPodAutoscalerBehavior(), recommendations: memory.recommendations,
            events: memory.events, now: date)
        memory.recommendations = kept
        memory.events = memory.events.filter { $0.at > date.addingTimeInterval(-1800) }
        conditions.set(outcome.limitedBy.map { Condition(type: "ScalingLimited", status: .true, reason: $0,
                                                           message: "the desired replica count is limited (\($0))") }
                       ?? Condition(type: "ScalingLimited", status: .false, reason: "DesiredWithinRange",
                                    message: "the desired count is within the acceptable range"), now: now)
        status.desiredReplicas = Int32(outcome.replicas)
        if outcome.replicas != current {
            var patch: JSONValue = [:]
            patch.setValue(.integer(Int64(outcome.replicas)), at: replicaKeys)
            _ = try await client.mergePatch(kind, namespace: namespace, name: reference.name, patch)
            memory.events.append(ScalingBehavior.ScaleEvent(at: date, change: outcome.replicas - current))
            status.lastScaleTime = now
            let direction = outcome.replicas > current ? "above" : "below"
            events.record(autoscaler, reason: "SuccessfulRescale", message: "New size: \(outcome.replicas); reason: \(best.reason) \(direction) target")
            conditions.set(Condition(type: "AbleToScale", status: .true, reason: "SucceededRescale",
                                     message: "the HPA controller was able to update the target scale to \(outcome.replicas)"), now: now)
        } else {
            conditions.set(Condition(type: "AbleToScale", status: .true, reason: "ReadyForNewScale",
                                     message: "recommended size matches current size"), now: now)
        }
        history[key] = memory
        try await finish()
    }

    func writeStatus(_ autoscaler: FederatedHPA, _ status: HorizontalPodAutoscalerStatus) async throws(APIError) {
        guard status != autoscaler.status else { return }
        var updated = autoscaler
        updated.status = status
        _ = try await client.updateStatus(FederatedHPA.descriptor, updated.json())
    }
}
