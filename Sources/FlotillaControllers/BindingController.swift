import FlotillaAPI
import KubeClient
import Logging

/// Turns scheduled bindings into Works and brings status back: one Work per target cluster in
/// `karmada-es-<cluster>` holding the rendered template with that cluster's replicas and the matching overrides;
/// Works for clusters that left the binding, and for bindings that are gone, are deleted; Work statuses are
/// aggregated into the binding (`aggregatedStatus`, `FullyApplied`) and, for Deployments, summed into the
/// template's status so `kubectl get deploy` and `kubectl rollout status` on the control plane tell the
/// federation-wide truth.
public struct BindingController: Sendable {
    let client: any ObjectClient
    let clock: any TimeSource
    let events: EventWriter
    let logger: Logger
    let namespaces = KnownNamespaces()

    public init(client: any ObjectClient, clock: any TimeSource = SystemTimeSource(), logger: Logger = Logger(label: "flotilla.binding")) {
        self.client = client
        self.clock = clock
        self.events = EventWriter(client: client, component: "binding-controller", clock: clock)
        self.logger = logger
    }

    public func loop() -> ControllerLoop {
        ControllerLoop(name: "binding", client: client,
            resources: [ResourceBinding.descriptor, Work.descriptor, Cluster.descriptor, OverridePolicy.descriptor,
                        ClusterOverridePolicy.descriptor] + Detector.templateKinds,
            logger: logger) { snapshot in await self.reconcile(snapshot) }
    }

    func reconcile(_ snapshot: ObjectSnapshot) async -> Duration? {
        let clusters = Dictionary(snapshot.typed(Cluster.self).map { ($0.metadata.name ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let overrides = snapshot.typed(OverridePolicy.self)
        let clusterOverrides = snapshot.typed(ClusterOverridePolicy.self)
        var templates: [String: JSONValue] = [:]
        for kind in Detector.templateKinds {
            for template in snapshot.objects(kind) { templates["\(template.kind ?? "")/\(template.namespace ?? "")/\(template.name ?? "")"] = template }
        }
        var works: [String: [Work]] = [:]
        for work in snapshot.typed(Work.self) {
            let labels = work.metadata.labels ?? [:]
            guard let name = labels[WorkRendering.bindingNameLabel], let namespace = labels[WorkRendering.bindingNamespaceLabel] else { continue }
            works["\(namespace)/\(name)", default: []].append(work)
        }
        var failed = false
        var live = Set<String>()
        for binding in snapshot.typed(ResourceBinding.self) {
            let key = "\(binding.metadata.namespace ?? "")/\(binding.metadata.name ?? "")"
            live.insert(key)
            let resource = binding.spec.resource
            guard binding.metadata.deletionTimestamp == nil,
                let template = templates["\(resource.kind ?? "")/\(resource.namespace ?? "")/\(resource.name ?? "")"] else { continue }
            do {
                try await sync(binding, template: template, existing: works[key] ?? [], clusters: clusters,
                    overrides: overrides, clusterOverrides: clusterOverrides)
            } catch {
                if error.reason != .conflict && error.reason != .notFound {
                    failed = true
                    logger.warning("cannot sync binding", metadata: ["binding": "\(key)", "error": "\(error)"])
                }
            }
        }
        for (key, orphans) in works where !live.contains(key) {
            for work in orphans { await delete(work) }
        }
        return failed ? .seconds(1) : nil
    }

    func sync(_ binding: ResourceBinding, template: JSONValue, existing: [Work], clusters: [String: Cluster],
              overrides: [OverridePolicy], clusterOverrides: [ClusterOverridePolicy]) async throws(APIError) {
        let targets = (binding.spec.clusters ?? []).filter { clusters[$0.name] != nil }
        let workName = WorkRendering.workName(for: template)
        var overrideFailures: [String] = []
        for target in targets {
            let cluster = clusters[target.name]!
            let rendered = WorkRendering.manifest(from: template, replicas: target.replicas)
            let manifest: JSONValue
            var annotations = [WorkRendering.templateGenerationAnnotation: String(template.generation ?? 0)]
            switch Overrides.apply(to: rendered, cluster: cluster, clusterPolicies: clusterOverrides, policies: overrides) {
            case .success(let result):
                manifest = result.manifest
                if !result.applied.isEmpty { annotations[WorkRendering.appliedOverridesAnnotation] = result.applied.joined(separator: ",") }
            case .failure(let failure):
                overrideFailures.append("\(target.name): \(failure)")
                continue
            }
            if binding.spec.conflictResolution == "Overwrite" { annotations[WorkRendering.conflictResolutionAnnotation] = "overwrite" }
            let namespace = WorkRendering.executionNamespace(target.name)
            var work = Work(metadata: ObjectMeta(name: workName, namespace: namespace,
                labels: [WorkRendering.bindingNameLabel: binding.metadata.name ?? "", WorkRendering.bindingNamespaceLabel: binding.metadata.namespace ?? ""],
                annotations: annotations), spec: WorkSpec(manifests: [manifest]))
            work.spec.preserveResourcesOnDeletion = binding.spec.preserveResourcesOnDeletion
            if let current = existing.first(where: { $0.metadata.namespace == namespace }) {
                guard current.spec != work.spec || current.metadata.annotations != work.metadata.annotations
                    || current.metadata.labels != work.metadata.labels else { continue }
                var updated = current
                updated.spec = work.spec
                updated.metadata.annotations = work.metadata.annotations
                updated.metadata.labels = work.metadata.labels
                _ = try await client.update(Work.descriptor, updated.json())
            } else {
                try await ensureNamespace(namespace)
                work.metadata.finalizers = [ExecutionController.finalizer]
                do {
                    _ = try await client.create(Work.descriptor, work.json())
                } catch {
                    if error.reason != .alreadyExists { throw error }
                }
            }
        }
        let targetNamespaces = Set(targets.map { WorkRendering.executionNamespace($0.name) })
        for work in existing where !targetNamespaces.contains(work.metadata.namespace ?? "") { await delete(work) }
        for failure in overrideFailures {
            await events.record(binding.json(), type: "Warning", reason: "ApplyOverridePolicyFailed", message: failure)
        }
        try await aggregate(binding, template: template, works: existing.filter { targetNamespaces.contains($0.metadata.namespace ?? "") },
            targets: targets)
    }

    /// Binding `aggregatedStatus` and `FullyApplied`; for Deployments, the summed status on the template.
    func aggregate(_ binding: ResourceBinding, template: JSONValue, works: [Work], targets: [TargetCluster]) async throws(APIError) {
        var items: [AggregatedStatusItem] = []
        var allApplied = !targets.isEmpty
        var currentEverywhere = !targets.isEmpty
        for target in targets {
            let work = works.first { $0.metadata.namespace == WorkRendering.executionNamespace(target.name) }
            let applied = work?.status?.conditions?[type: "Applied"]
            let manifestStatus = work?.status?.manifestStatuses?.first
            items.append(AggregatedStatusItem(clusterName: target.name, status: manifestStatus?.status, applied: applied?.status == .true,
                appliedMessage: applied?.status == .true ? nil : applied?.message, health: manifestStatus?.health ?? "Unknown"))
            if applied?.status != .true { allApplied = false }
            if work?.metadata.annotations?[WorkRendering.templateGenerationAnnotation] != String(template.generation ?? 0)
                || manifestStatus?.status?["observedGeneration"] == nil { currentEverywhere = false }
        }
        items.sort { $0.clusterName < $1.clusterName }
        var status = binding.status ?? ResourceBindingStatus()
        status.aggregatedStatus = items.isEmpty ? nil : items
        var conditions = status.conditions ?? []
        conditions.set(Condition(type: "FullyApplied", status: allApplied ? .true : .false,
            reason: allApplied ? "FullyAppliedSuccess" : "FullyAppliedFailed",
            message: allApplied ? "All works have been successfully applied" : "Not every work has been applied yet"),
            now: Timestamp(clock.now()))
        status.conditions = conditions
        if status != binding.status {
            var updated = binding
            updated.status = status
            _ = try await client.updateStatus(ResourceBinding.descriptor, updated.json())
        }
        guard template.kind == "Deployment" else { return }
        var sums: [String: Int64] = [:]
        for item in items {
            for key in ["replicas", "readyReplicas", "availableReplicas", "updatedReplicas", "unavailableReplicas"] {
                sums[key, default: 0] += item.status?[key]?.int64Value ?? 0
            }
        }
        var templateStatus = template["status"]?.objectValue ?? [:]
        for (key, value) in sums { templateStatus[key] = value == 0 && key != "replicas" ? nil : .integer(value) }
        if currentEverywhere, let generation = template.generation { templateStatus["observedGeneration"] = .integer(generation) }
        guard JSONValue.object(templateStatus) != (template["status"] ?? .object([:])) else { return }
        var updated = template
        updated["status"] = .object(templateStatus)
        _ = try await client.updateStatus(Deployment.descriptor, updated)
    }

    func ensureNamespace(_ name: String) async throws(APIError) {
        guard await !namespaces.contains(name) else { return }
        do {
            _ = try await client.create(Namespace.descriptor, Namespace(name: name).json())
        } catch {
            if error.reason != .alreadyExists { throw error }
        }
        await namespaces.insert(name)
    }

    func delete(_ work: Work) async {
        do {
            try await client.delete(Work.descriptor, namespace: work.metadata.namespace, name: work.metadata.name ?? "")
        } catch {
            if error.reason != .notFound { logger.warning("cannot delete work", metadata: ["work": "\(work.metadata.name ?? "")", "error": "\(error)"]) }
        }
    }
}

/// Execution namespaces this process already made sure of.
actor KnownNamespaces {
    private var names = Set<String>()
    func contains(_ name: String) -> Bool { names.contains(name) }
    func insert(_ name: String) { names.insert(name) }
}
