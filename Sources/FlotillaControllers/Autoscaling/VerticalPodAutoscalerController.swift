import FlotillaAPI
import FlotillaRuntime
import Foundation
import KubeClient
import Logging

/// The Vertical Pod Autoscaler over a federated template: every `syncPeriod` it samples the usage of the target's
/// containers on every cluster its binding holds into one `ResourceRecommender` per container, writes the
/// recommendation (capped by the container policies' `minAllowed`/`maxAllowed`; `uncappedTarget` before the caps)
/// into `status.recommendation`, and, by `updateMode`:
/// - `Off`: recommends only;
/// - `Initial`: writes the first recommendation into the template once (its pods are then created with it);
/// - `Recreate` and `Auto`: writes the recommendation into the template whenever a controlled request falls outside
///   the recommendation's bounds, so the members roll their pods onto it (in-place resizing does not exist here).
/// Limits keep their ratio to requests unless `controlledValues: RequestsOnly`.
public actor VerticalPodAutoscalerController {
    public static let appliedAnnotation = "autoscaling.k8s.io/vpa-applied"
    let client: any ObjectClient
    let connections: ClusterConnections
    let clock: any TimeSource
    let logger: Logger
    let events: EventWriter
    let syncPeriod: Duration
    /// Per VPA (`namespace/name`), per container.
    private var recommenders: [String: [String: ResourceRecommender]] = [:]

    public init(client: any ObjectClient, connections: ClusterConnections, syncPeriod: Duration = .seconds(5),
                clock: any TimeSource = SystemTimeSource(), logger: Logger = Logger(label: "flotilla.vpa")) {
        self.client = client
        self.connections = connections
        self.syncPeriod = syncPeriod
        self.clock = clock
        self.logger = logger
        self.events = EventWriter(client: client, component: "vpa-recommender", clock: clock)
    }

    public nonisolated func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        ControllerLoop(name: "vpa", client: client, informers: informers,
                       resources: [VerticalPodAutoscaler.descriptor, ResourceBinding.descriptor, Cluster.descriptor, CustomResourceDefinition.descriptor],
                       statusBlind: [VerticalPodAutoscaler.descriptor, ResourceBinding.descriptor, Cluster.descriptor, CustomResourceDefinition.descriptor],
                       clock: runtimeClock(clock), logger: logger) { snapshot, _ in
            await self.reconcile(snapshot)
        }
    }

    /// Where a kind keeps its pod template.
    static func podTemplatePath(_ kind: String) -> [String]? {
        switch kind {
        case "Deployment", "StatefulSet", "DaemonSet", "Job": return ["spec", "template"]
        case "CronJob": return ["spec", "jobTemplate", "spec", "template"]
        default: return nil
        }
    }

    func reconcile(_ snapshot: ObjectSnapshot) async -> Duration? {
        let autoscalers = snapshot.typed(VerticalPodAutoscaler.self).filter { $0.metadata.deletionTimestamp == nil }
        let live = Set(autoscalers.map { "\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")" })
        recommenders = recommenders.filter { live.contains($0.key) }
        guard !autoscalers.isEmpty else { return nil }
        let kinds = TemplateKinds(snapshot)
        for autoscaler in autoscalers {
            do throws(APIError) {
                try await sync(autoscaler, snapshot: snapshot, kinds: kinds)
            } catch {
                if error.reason != .conflict && error.reason != .notFound {
                    logger.warning("vpa sync failed", metadata: ["vpa": "\(autoscaler.metadata.name ?? "")", "error": "\(error)"])
                }
            }
        }
        return syncPeriod
    }

    func sync(_ autoscaler: VerticalPodAutoscaler, snapshot: ObjectSnapshot, kinds: TemplateKinds) async throws(APIError) {
        let namespace = autoscaler.metadata.namespace ?? "default"
        let key = "\(namespace)/\(autoscaler.metadata.name ?? "")"
        let reference = autoscaler.spec.targetRef
        let now = clock.now()
        var status = autoscaler.status ?? VerticalPodAutoscalerStatus()
        var conditions = status.conditions ?? []
        guard let kind = kinds.kind(apiVersion: reference.apiVersion, kind: reference.kind), let templatePath = Self.podTemplatePath(reference.kind) else {
            conditions.set(Condition(type: "ConfigUnsupported", status: .true, reason: "UnsupportedTarget",
                message: "\(reference.kind) has no pod template Flotilla knows"), now: Timestamp(now))
            status.conditions = conditions
            return try await write(autoscaler, status)
        }
        conditions.removeAll { $0.type == "ConfigUnsupported" }
        let template = try await client.get(kind, namespace: namespace, name: reference.name)
        let containers = template.value(at: templatePath + ["spec", "containers"])?.arrayValue ?? []
        // Sample every container of every pod the template has on its clusters.
        let pods = await TargetPods.gather(TargetPods.clusters(of: reference, namespace: namespace, snapshot: snapshot), namespace: namespace,
                                           selector: TargetPods.selector(of: template, kind: kind), connections: connections, logger: logger)
        var mine = recommenders[key] ?? [:]
        for member in pods {
            let pod = member.pod
            guard let usage = member.usage else { continue }
            for container in usage.containers {
                let request = pod.spec.containers.first { $0.name == container.name }?.resources?.requests?["cpu"].map { TargetPods.value($0) }
                var recommender = mine[container.name] ?? ResourceRecommender(since: now)
                recommender.observe(cpu: TargetPods.value(container.usage["cpu"]), request: request,
                                    memory: TargetPods.value(container.usage["memory"]), at: now)
                mine[container.name] = recommender
            }
        }
        recommenders[key] = mine
        var recommendations: [RecommendedContainerResources] = []
        for container in containers {
            guard let name = container["name"]?.stringValue, let policy = Self.policy(for: name, in: autoscaler), policy.mode != "Off",
                  let recommendation = mine[name]?.recommendation(containers: containers.count, now: now) else { continue }
            let controlled = Set(policy.controlledResources ?? ["cpu", "memory"])
            func quantities(_ values: [String: Double]) -> [String: Quantity] {
                values.filter { controlled.contains($0.key) }.reduce(into: [:]) { result, entry in result[entry.key] = Self.quantity(entry.value, entry.key) }
            }
            let uncapped = quantities(recommendation.target)
            var capped = uncapped
            for (resource, value) in capped {
                if let low = policy.minAllowed?[resource], value < low { capped[resource] = low }
                if let high = policy.maxAllowed?[resource], value > high { capped[resource] = high }
            }
            recommendations.append(RecommendedContainerResources(containerName: name, target: capped, lowerBound: quantities(recommendation.lowerBound),
                upperBound: quantities(recommendation.upperBound), uncappedTarget: uncapped))
        }
        let stamp = Timestamp(now)
        if recommendations.isEmpty {
            conditions.set(Condition(type: "RecommendationProvided", status: .false, reason: "NoMetrics",
                message: "no usage of the target's containers yet (\(pods.count) pods found)"), now: stamp)
        } else {
            status.recommendation = RecommendedPodResources(containerRecommendations: recommendations)
            conditions.set(Condition(type: "RecommendationProvided", status: .true, reason: "RecommendationProvided",
                message: "from \(mine.values.map(\.samples).reduce(0, +)) samples"), now: stamp)
            try await apply(recommendations, to: template, kind: kind, path: templatePath, autoscaler: autoscaler)
        }
        status.conditions = conditions
        try await write(autoscaler, status)
    }

    /// The container's policy: its own, else `*`'s, else the default (Auto, cpu and memory, requests and limits).
    static func policy(for container: String, in autoscaler: VerticalPodAutoscaler) -> ContainerResourcePolicy? {
        let policies = autoscaler.spec.resourcePolicy?.containerPolicies ?? []
        return policies.first { $0.containerName == container } ?? policies.first { $0.containerName == "*" }
            ?? ContainerResourcePolicy(containerName: container)
    }

    /// Writes the recommendation into the template as the update mode says.
    func apply(_ recommendations: [RecommendedContainerResources], to template: JSONValue, kind: ResourceDescriptor, path: [String],
               autoscaler: VerticalPodAutoscaler) async throws(APIError) {
        let mode = autoscaler.updateMode
        guard mode != "Off" else { return }
        let applied = template.annotations[Self.appliedAnnotation] != nil
        var containers = template.value(at: path + ["spec", "containers"])?.arrayValue ?? []
        var changed = false
        for (index, container) in containers.enumerated() {
            guard let name = container["name"]?.stringValue, let recommendation = recommendations.first(where: { $0.containerName == name }),
                  let policy = Self.policy(for: name, in: autoscaler) else { continue }
            for (resource, target) in recommendation.target {
                let current = container["resources"]?["requests"]?[resource]?.stringValue.flatMap { try? Quantity(parsing: $0) }
                let outside = current.map { request in
                    (recommendation.lowerBound?[resource].map { request < $0 } ?? false) || (recommendation.upperBound?[resource].map { request > $0 } ?? false)
                } ?? true
                guard mode == "Initial" ? !applied : outside else { continue }
                var updated = containers[index]
                updated.setValue(.string(target.canonical), at: ["resources", "requests", resource])
                if policy.controlledValues != "RequestsOnly", let current, current.sign > 0,
                   let limit = container["resources"]?["limits"]?[resource]?.stringValue.flatMap({ try? Quantity(parsing: $0) }) {
                    let ratio = Double(limit.nanos) / Double(current.nanos)
                    updated.setValue(.string(Self.quantity(Double(target.nanos) / 1e9 * ratio, resource).canonical), at: ["resources", "limits", resource])
                }
                containers[index] = updated
                changed = true
            }
        }
        guard changed else { return }
        var patch: JSONValue = ["metadata": ["annotations": [.init(stringLiteral: Self.appliedAnnotation): .string(Timestamp(clock.now()).rfc3339)]]]
        patch.setValue(.array(containers), at: path + ["spec", "containers"])
        _ = try await client.mergePatch(kind, namespace: template.namespace, name: template.name ?? "", patch)
        events.record(autoscaler, reason: "RecommendationApplied",
                      message: "\(mode): the template's requests set to the recommendation; its pods roll onto them")
    }

    /// CPU in millicores, memory in whole bytes (binary units when they divide evenly).
    static func quantity(_ value: Double, _ resource: String) -> Quantity {
        resource == "cpu" ? Quantity(milli: Int64((value * 1000).rounded(.up))) : Quantity(Int64(value.rounded(.up)), format: .binarySI)
    }

    func write(_ autoscaler: VerticalPodAutoscaler, _ status: VerticalPodAutoscalerStatus) async throws(APIError) {
        guard status != autoscaler.status else { return }
        var updated = autoscaler
        updated.status = status
        _ = try await client.updateStatus(VerticalPodAutoscaler.descriptor, updated.json())
    }
}
