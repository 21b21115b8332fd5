import FlotillaAPI
import FlotillaInterpreter
import FlotillaRuntime
import KubeClient
import Logging

/// Turns scheduled bindings into Works and brings status back: one Work per target cluster in
/// `karmada-es-<cluster>` holding the rendered template with that cluster's replicas and the matching overrides;
/// Works for clusters that left the binding, and for bindings that are gone, are deleted; Work statuses are
/// aggregated into the binding (`aggregatedStatus`, `FullyApplied`) and folded into the template's status by the
/// resource interpreter (a customization's `AggregateStatus`, else the built-in: Deployments' counts are summed), so
/// `kubectl get deploy` and `kubectl rollout status` on the control plane tell the federation-wide truth.
public struct BindingController: Sendable {
    let client: any ObjectClient
    let clock: any TimeSource
    let events: EventWriter
    let logger: Logger
    let namespaces = KnownNamespaces()
    let interpreters = InterpreterCache()
    /// Script failures already reported (one event per binding, template generation and message).
    let reported = ReportedSet()
    /// The Works by the binding they render, kept from each pass's changes.
    let works: GroupedObjects<Work>
    /// Bindings worked on at once within a pass.
    static let concurrency = 16

    /// `decodedWorks`: typed Works shared with the process's other readers of every Work (the execution controller).
    public init(client: any ObjectClient, clock: any TimeSource = SystemTimeSource(), decodedWorks: SharedDecoded<Work> = SharedDecoded(),
                logger: Logger = Logger(label: "flotilla.binding")) {
        self.works = GroupedObjects<Work>(Work.descriptor, decoded: decodedWorks, group: BindingController.bindingKey(ofWork:))
        self.client = client
        self.clock = clock
        self.events = EventWriter(client: client, component: "binding-controller", clock: clock)
        self.logger = logger
    }

    public func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        ControllerLoop(name: "binding", client: client, informers: informers,
            resources: [ResourceBinding.descriptor, ClusterResourceBinding.descriptor, Work.descriptor, Cluster.descriptor, OverridePolicy.descriptor,
                        ClusterOverridePolicy.descriptor, ResourceInterpreterCustomization.descriptor, CustomResourceDefinition.descriptor]
                + Detector.allTemplateKinds,
            statusBlind: [ResourceBinding.descriptor, ClusterResourceBinding.descriptor, Cluster.descriptor, CustomResourceDefinition.descriptor]
                + Detector.allTemplateKinds,
            declared: TemplateKinds.declared, declaredStatusBlind: true, clock: runtimeClock(clock), logger: logger) { snapshot, changes in
                await self.reconcile(snapshot, changes)
            }
    }

    /// A full pass, or a change to clusters or override policies, looks at every binding; otherwise only the
    /// bindings that changed, whose Works changed (status coming back) or whose templates changed.
    func reconcile(_ snapshot: ObjectSnapshot, _ changes: Changes) async -> Duration? {
        // Clusters are looked up one by one (typed per resourceVersion): their statuses change as pods land, and
        // typing all 1,000 into a dictionary on each such change was a twentieth of the control plane's CPU.
        let cluster: @Sendable (String) -> Cluster? = { snapshot.typed(Cluster.self, key: "/\($0)") }
        let overrides = snapshot.typed(OverridePolicy.self)
        let clusterOverrides = snapshot.typed(ClusterOverridePolicy.self)
        let everything = changes.full || changes.touched(Cluster.descriptor) || changes.touched(OverridePolicy.descriptor)
            || changes.touched(ClusterOverridePolicy.descriptor) || changes.touched(ResourceInterpreterCustomization.descriptor)
        let interpreter = interpreters.interpreter(snapshot)
        let kinds = TemplateKinds(snapshot)
        works.update(snapshot, full: changes.full, changes: changes)
        var keys: Set<String>
        // Bindings whose Works only reported status: aggregate, no need to render their Works again.
        var statusOnly = Set<String>()
        if everything {
            keys = Set(ResourceBinding.kinds.flatMap { snapshot.objects($0) }.map(WatchedSet.key))
        } else {
            keys = changes.keys(ResourceBinding.descriptor).union(changes.keys(ClusterResourceBinding.descriptor))
            for key in changes.keys(Work.descriptor) {
                if let work = snapshot.object(Work.descriptor, key: key), let binding = Self.bindingKey(ofWork: work) { keys.insert(binding) }
            }
            for kind in kinds.all {
                for key in changes.keys(kind) {
                    let namespace = key.prefix { $0 != "/" }
                    keys.insert("\(namespace)/\(ResourceBinding.name(forTemplate: String(key.drop { $0 != "/" }.dropFirst()), kind: kind.kind))")
                }
            }
            for key in changes.statusOnlyKeys(Work.descriptor) {
                if let work = snapshot.object(Work.descriptor, key: key), let binding = Self.bindingKey(ofWork: work), !keys.contains(binding) {
                    statusOnly.insert(binding)
                }
            }
        }
        // Bindings are independent of each other: aggregate and sync several at once.
        let aggregated = await concurrently(statusOnly, limit: Self.concurrency) { key -> Duration? in
            guard let object = snapshot.object(ResourceBinding.descriptor(ofKey: key), key: key), let binding = try? ResourceBinding(json: object),
                binding.metadata.deletionTimestamp == nil else { return nil }
            let resource = binding.spec.resource
            guard let template = kinds.kind(apiVersion: resource.apiVersion, kind: resource.kind)
                .flatMap({ snapshot.object($0, key: "\(resource.namespace ?? "")/\(resource.name ?? "")") }) else { return nil }
            let targets = DependencyPlan.targets(binding).filter { snapshot.object(Cluster.descriptor, key: "/\($0.name)") != nil }
            let namespaces = Set(targets.map { WorkRendering.executionNamespace($0.name) })
            do throws(APIError) {
                try await aggregate(binding, template: template,
                    works: works.typed(in: key, snapshot).filter { namespaces.contains($0.metadata.namespace ?? "") },
                    targets: targets, interpreter: interpreter, kinds: kinds)
                return nil
            } catch {
                return ControllerLoop.retryDelay(for: error, current: nil)
            }
        }
        let synced = await concurrently(keys, limit: Self.concurrency) { key -> Duration? in
            guard let object = snapshot.object(ResourceBinding.descriptor(ofKey: key), key: key) else {
                // The binding is gone: so are its Works.
                for work in works.typed(in: key, snapshot) { await delete(work) }
                return nil
            }
            guard let binding = try? ResourceBinding(json: object), binding.metadata.deletionTimestamp == nil else { return nil }
            let resource = binding.spec.resource
            guard let template = kinds.kind(apiVersion: resource.apiVersion, kind: resource.kind)
                .flatMap({ snapshot.object($0, key: "\(resource.namespace ?? "")/\(resource.name ?? "")") }) else { return nil }
            do throws(APIError) {
                try await sync(binding, template: template, existing: works.typed(in: key, snapshot), cluster: cluster,
                    overrides: overrides, clusterOverrides: clusterOverrides, interpreter: interpreter, kinds: kinds)
                return nil
            } catch {
                if error.reason != .conflict && error.reason != .notFound {
                    logger.warning("cannot sync binding", metadata: ["binding": "\(key)", "error": "\(error)"])
                }
                return ControllerLoop.retryDelay(for: error, current: nil)
            }
        }
        let retry = (aggregated + synced).compactMap { $0 }.min()
        if everything {
            for key in works.groups where snapshot.object(ResourceBinding.descriptor(ofKey: key), key: key) == nil {
                for work in works.typed(in: key, snapshot) { await delete(work) }
            }
        }
        return retry
    }

    static func bindingKey(ofWork work: JSONValue) -> String? {
        let labels = work.labels
        if let name = labels[WorkRendering.clusterBindingNameLabel] { return "/\(name)" }
        guard let name = labels[WorkRendering.bindingNameLabel], let namespace = labels[WorkRendering.bindingNamespaceLabel] else { return nil }
        return "\(namespace)/\(name)"
    }

    /// Karmada's suspension: `dispatching: true` holds every cluster's Work, `dispatchingOnClusters` the named ones.
    static func suspended(_ binding: ResourceBinding, cluster: String) -> Bool {
        guard let suspension = binding.spec.suspension else { return false }
        if suspension["dispatching"]?.boolValue == true { return true }
        let names = suspension["dispatchingOnClusters"]?["clusterNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return names.contains(cluster)
    }

    func sync(_ binding: ResourceBinding, template: JSONValue, existing: [Work], cluster lookUp: (String) -> Cluster?,
              overrides: [OverridePolicy], clusterOverrides: [ClusterOverridePolicy], interpreter: ResourceInterpreter,
              kinds: TemplateKinds) async throws(APIError) {
        let placed = DependencyPlan.targets(binding).compactMap { target in lookUp(target.name).map { (target, $0) } }
        let targets = placed.map(\.0)
        let workName = WorkRendering.workName(for: template)
        var overrideFailures: [String] = []
        for (target, cluster) in placed {
            let rendered: JSONValue
            do {
                rendered = try WorkRendering.manifest(from: template, replicas: binding.spec.replicas == nil ? nil : target.replicas,
                                                      interpreter: interpreter)
            } catch {
                await reportScriptFailure(binding, template: template, reason: "ReviseReplicaFailed", error)
                continue
            }
            let manifest: JSONValue
            var annotations = [WorkRendering.templateGenerationAnnotation: String(template.generation ?? 0)]
            switch Overrides.apply(to: rendered, cluster: cluster, clusterPolicies: clusterOverrides, policies: overrides) {
            case .success(let result):
                manifest = WorkRendering.preservingState(result.manifest, for: target.name, tasks: binding.spec.gracefulEvictionTasks ?? [])
                if !result.applied.isEmpty { annotations[WorkRendering.appliedOverridesAnnotation] = result.applied.joined(separator: ",") }
            case .failure(let failure):
                overrideFailures.append("\(target.name): \(failure)")
                continue
            }
            if binding.spec.conflictResolution == "Overwrite" { annotations[WorkRendering.conflictResolutionAnnotation] = "overwrite" }
            let namespace = WorkRendering.executionNamespace(target.name)
            var work = Work(metadata: ObjectMeta(name: workName, namespace: namespace,
                labels: WorkRendering.bindingLabels(binding),
                annotations: annotations), spec: WorkSpec(manifests: [manifest]))
            work.spec.preserveResourcesOnDeletion = binding.spec.preserveResourcesOnDeletion
            work.spec.suspendDispatching = Self.suspended(binding, cluster: target.name) ? true : nil
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
        // A cluster being evicted keeps its Work as it is until the eviction task ends (graceful eviction), unless
        // its purge mode is Directly.
        let evicting = Set((binding.spec.gracefulEvictionTasks ?? []).filter { $0.purgeMode != PurgeMode.directly }
            .map { WorkRendering.executionNamespace($0.fromCluster) })
        for work in existing where !targetNamespaces.contains(work.metadata.namespace ?? "") && !evicting.contains(work.metadata.namespace ?? "") {
            await delete(work)
        }
        for failure in overrideFailures {
            events.record(binding.json(), type: "Warning", reason: "ApplyOverridePolicyFailed", message: failure)
        }
        try await aggregate(binding, template: template, works: existing.filter { targetNamespaces.contains($0.metadata.namespace ?? "") },
            targets: targets, interpreter: interpreter, kinds: kinds)
    }

    /// Binding `aggregatedStatus` and `FullyApplied`; the template's status from the interpreter's AggregateStatus.
    func aggregate(_ binding: ResourceBinding, template: JSONValue, works: [Work], targets: [TargetCluster],
                   interpreter: ResourceInterpreter, kinds: TemplateKinds) async throws(APIError) {
        // Each target's Work by its execution namespace (the first, as before), as positions: a search per target
        // made a namespace string per Work compared and copied the Work found, 10,000 and 100 per aggregate of a
        // binding on 100 clusters.
        var workAt: [String: Int] = [:]
        for index in works.indices where workAt[works[index].metadata.namespace ?? ""] == nil {
            workAt[works[index].metadata.namespace ?? ""] = index
        }
        var items: [AggregatedStatusItem] = []
        var allApplied = !targets.isEmpty
        for target in targets {
            let index = workAt[WorkRendering.executionNamespace(target.name)]
            let applied = index.flatMap { works[$0].status?.conditions?[type: "Applied"] }
            let manifestStatus = index.flatMap { works[$0].status?.manifestStatuses?.first }
            items.append(AggregatedStatusItem(clusterName: target.name, status: manifestStatus?.status, applied: applied?.status == .true,
                appliedMessage: applied?.status == .true ? nil : applied?.message, health: manifestStatus?.health ?? "Unknown"))
            if applied?.status != .true { allApplied = false }
        }
        items.sort { $0.clusterName < $1.clusterName }
        let now = Timestamp(clock.now())
        try await StatusWriter.update(client, binding.isClusterScoped ? ClusterResourceBinding.descriptor : ResourceBinding.descriptor,
                                      binding.json()) { stored in
            var status = stored.flatMap { try? ObjectDecoder().decode(ResourceBindingStatus.self, from: $0) } ?? ResourceBindingStatus()
            status.aggregatedStatus = items.isEmpty ? nil : items
            var conditions = status.conditions ?? []
            conditions.set(Condition(type: "FullyApplied", status: allApplied ? .true : .false,
                reason: allApplied ? "FullyAppliedSuccess" : "FullyAppliedFailed",
                message: allApplied ? "All works have been successfully applied" : "Not every work has been applied yet"), now: now)
            status.conditions = conditions
            return (try? ObjectEncoder().encode(status)) ?? stored
        }
        guard let descriptor = kinds.kind(apiVersion: template.apiVersion, kind: template.kind),
              descriptor.subresources.contains("status") else { return }
        // A cluster whose Work was rendered from an older template generation has not observed this one yet.
        let generation = String(template.generation ?? 0)
        let current = items.map { item -> AggregatedStatusItem in
            let index = workAt[WorkRendering.executionNamespace(item.clusterName)]
            guard index.flatMap({ works[$0].metadata.annotations?[WorkRendering.templateGenerationAnnotation] }) != generation else { return item }
            var stale = item
            stale.status?["observedGeneration"] = nil
            return stale
        }
        let aggregated: JSONValue?
        do {
            aggregated = try interpreter.aggregateStatus(template, items: current)
        } catch {
            await reportScriptFailure(binding, template: template, reason: "AggregateStatusFailed", error)
            return
        }
        guard let status = aggregated?["status"] else { return }
        try await StatusWriter.update(client, descriptor, template) { _ in status }
    }

    /// A script that failed: one Warning event on the binding per template generation and message.
    func reportScriptFailure(_ binding: ResourceBinding, template: JSONValue, reason: String, _ error: ScriptError) async {
        guard await reported.insert("\(binding.metadata.uid ?? "")@\(template.generation ?? 0):\(reason):\(error.message)") else { return }
        events.record(binding.json(), type: "Warning", reason: reason, message: error.message)
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
