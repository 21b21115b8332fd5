import Foundation
import FlotillaAPI
import FlotillaInterpreter
import FlotillaRuntime
import KubeClient
import Logging

/// Applies Works to their member clusters through `KubeClient` and reports back: on the control plane for Push
/// clusters, in a Pull cluster's agent (`PullAgent`) for that cluster alone (`ClusterConnections.serves`). A Work with
/// `suspendDispatching` is left alone on its member (`Dispatching=False`, reason `SuspendDispatching`) until resumed. Each cluster has its
/// own worker, so an unreachable or slow member delays only its own Works. Objects Flotilla creates carry
/// `karmada.io/managed=true` and the Work's name; an existing object without them is left alone (Applied=False,
/// reason `ConflictWithExisting`) unless the policy says `conflictResolution: Overwrite`. Deleting a Work deletes
/// what it applied (unless `preserveResourcesOnDeletion`), then releases the Work's finalizer. The resource
/// interpreter decides what a member keeps of its own (Retain, before an update), what status it reports
/// (InterpretStatus) and whether it is healthy (InterpretHealth): member Deployments, and the member objects of any
/// kind a ResourceInterpreterCustomization targets, are watched and reported in `Work.status.manifestStatuses`.
public actor ExecutionController {
    public static let finalizer = "karmada.io/execution-controller"
    public static let managedLabel = "karmada.io/managed"
    public static let workNameLabel = "work.karmada.io/name"
    public static let workNamespaceLabel = "work.karmada.io/namespace"

    let client: any ObjectClient
    let connections: ClusterConnections
    let clock: any TimeSource
    let logger: Logger
    /// One writer for every member worker's events, so its in-flight limit holds for the controller.
    let events: EventWriter
    let metrics: SyncMetrics
    private var workers: [String: MemberWorker] = [:]
    private let interpreters = InterpreterCache()
    /// The Works by the cluster of their execution namespace.
    private let works: GroupedObjects<Work>
    private let decodedWorks: SharedDecoded<Work>
    private var decodedClusters = DecodedObjects<Cluster>()

    /// `decodedWorks`: typed Works shared with the process's other readers of every Work (the binding controller).
    public init(client: any ObjectClient, connections: ClusterConnections, clock: any TimeSource = SystemTimeSource(),
                metrics: SyncMetrics = .none, decodedWorks: SharedDecoded<Work> = SharedDecoded(), logger: Logger = Logger(label: "flotilla.execution")) {
        self.works = GroupedObjects<Work>(Work.descriptor, decoded: decodedWorks) { ExecutionController.cluster(ofWork: WatchedSet.key($0)) }
        self.decodedWorks = decodedWorks
        self.client = client
        self.metrics = metrics
        self.connections = connections
        self.clock = clock
        self.logger = logger
        self.events = EventWriter(client: client, component: "execution-controller", clock: clock)
    }

    public func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        let loop = ControllerLoop(name: "execution", client: client, informers: informers, resources: [Work.descriptor, Cluster.descriptor,
                                  ResourceInterpreterCustomization.descriptor, CustomResourceDefinition.descriptor],
                                  statusBlind: [Work.descriptor, Cluster.descriptor, CustomResourceDefinition.descriptor], clock: runtimeClock(clock), logger: logger) {
            [weak self] snapshot, changes in
            await self?.reconcile(snapshot, changes)
            return nil
        }
        return loop
    }

    /// Hands each cluster's Works to its worker. A full pass (or a changed Cluster, interpreter or CRD) hands every
    /// Work of every cluster; otherwise a worker gets only the Works that changed and the names of those that went,
    /// so a pass costs what changed, not the Works already on the clusters (`flotilla bench fleet`). The Works are
    /// indexed by cluster and decoded per resourceVersion.
    func reconcile(_ snapshot: ObjectSnapshot, _ changes: Changes) async {
        let full = changes.full || changes.touched(ResourceInterpreterCustomization.descriptor) || changes.touched(CustomResourceDefinition.descriptor)
        works.update(snapshot, full: full, changes: changes)
        var changedWorks: [String: [String]] = [:]
        if !full {
            for key in changes.keys(Work.descriptor) {
                if let cluster = Self.cluster(ofWork: key) { changedWorks[cluster, default: []].append(key) }
            }
        }
        let changedClusters = Set(changes.keys(Cluster.descriptor).map { String($0.drop { $0 == "/" }) })
        let names = full ? Set(works.groups).union(workers.keys) : Set(changedWorks.keys).union(changedClusters)
        var handOver: (interpreter: ResourceInterpreter, kinds: ResourceRegistry)?
        for name in names.sorted() {
            let cluster = snapshot.object(Cluster.descriptor, key: "/\(name)").flatMap { decodedClusters.decode(one: $0) }
            // A Pull cluster's Works are its agent's to apply (the agent runs this controller for its cluster alone).
            guard let cluster, connections.serves(cluster) else {
                if let worker = workers.removeValue(forKey: name) { await worker.stop() }
                // The cluster left: nothing can be cleaned there any more; release the Works.
                if cluster == nil { for work in works.typed(in: name, snapshot) where work.metadata.deletionTimestamp != nil { await releaseFinalizer(work) } }
                continue
            }
            if !full, !changedClusters.contains(name), let worker = workers[name] {
                var changed: [Work] = []
                var removed: [String] = []
                for key in (changedWorks[name] ?? []).sorted() {
                    if let object = snapshot.object(Work.descriptor, key: key), let work = decodedWorks.decode(one: object) {
                        changed.append(work)
                    } else {
                        removed.append(String(key.drop { $0 != "/" }.dropFirst()))
                    }
                }
                await worker.submit(changed: changed, removed: removed)
                continue
            }
            let clusterWorks = works.typed(in: name, snapshot)
            guard !clusterWorks.isEmpty || workers[name] != nil else { continue }
            let worker = workers[name] ?? MemberWorker(cluster: name, client: client, connections: connections, events: events,
                                                       metrics: metrics, logger: logger)
            workers[name] = worker
            let given = handOver ?? (interpreters.interpreter(snapshot), Self.memberKinds(snapshot))
            handOver = given
            await worker.submit(all: clusterWorks, cluster: cluster, interpreter: given.interpreter, kinds: given.kinds)
        }
    }

    /// What members serve: the built-in member kinds and the kinds of the control plane's CRDs.
    static func memberKinds(_ snapshot: ObjectSnapshot) -> ResourceRegistry {
        var kinds = ResourceRegistry.memberCluster
        for kind in TemplateKinds.custom(snapshot) { kinds.register(kind) }
        return kinds
    }

    func releaseFinalizer(_ work: Work) async { await Self.releaseFinalizer(work, client: client) }

    /// The cluster of a Work's execution namespace (`karmada-es-<cluster>`), from its key `namespace/name`.
    static func cluster(ofWork key: String) -> String? {
        let prefix = "karmada-es-"
        return key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count).prefix { $0 != "/" }) : nil
    }

    /// Lets the store finish deleting a Work once nothing is left to clean on its member. The copy in hand may be
    /// older than the stored Work (a status write since), so a lost compare-and-swap re-reads it and tries again;
    /// otherwise the Work would wait for the next periodic pass.
    static func releaseFinalizer(_ work: Work, client: any ObjectClient) async {
        var current = work
        for _ in 0..<5 {
            guard current.metadata.finalizers?.contains(finalizer) == true else { return }
            var updated = current
            updated.metadata.finalizers = (current.metadata.finalizers ?? []).filter { $0 != finalizer }
            do {
                _ = try await client.update(Work.descriptor, updated.json())
                return
            } catch {
                guard error.reason == .conflict,
                      let fresh = try? await client.get(Work.descriptor, namespace: work.metadata.namespace, name: work.metadata.name ?? ""),
                      let decoded = try? Work(json: fresh) else { return }
                current = decoded
            }
        }
    }

    public func stop() async {
        for worker in workers.values { await worker.stop() }
        workers.removeAll()
    }
}

/// The Works of one member, applied one pass at a time; a pass visits what its `MemberAgenda` says, failures retry
/// with backoff.
actor MemberWorker {
    let cluster: String
    let client: any ObjectClient
    let connections: ClusterConnections
    let events: EventWriter
    let metrics: SyncMetrics
    let logger: Logger
    /// The Works, and which of them the next pass visits.
    private var agenda = MemberAgenda()
    private var clusterObject: Cluster?
    /// A pass is wanted after the one running (or now, if none is).
    private var passWanted = false
    private var interpreter = ResourceInterpreter()
    /// What a member serves: the built-in member kinds and the kinds of the control plane's CRDs (which the
    /// federation propagates to the members that run their objects).
    private var kinds = ResourceRegistry.memberCluster
    private var running: Task<Void, Never>?
    private var retry: Task<Void, Never>?
    private var backoff = Duration.milliseconds(200)
    /// Work generation (spec version) last applied successfully, by work name.
    private var applied: [String: String] = [:]
    /// Watches of member objects by kind (`plural`), on the member client `watchedClient`.
    private var watches: [String: Task<Void, Never>] = [:]
    private var watchedClient: ObjectIdentifier?
    private var memberObjects: [String: MemberCopies] = [:]
    /// What this worker last wrote of each Work, by name: the status, and the resourceVersion the write got. Not the
    /// whole Work: the agenda holds that, and in a heap profile (`bench fleet`, 300 sites) the dictionary of whole Works took ~0.8 KB per Work.
    private var written: [String: Written] = [:]

    private struct Written {
        var resourceVersion: String?
        var status: WorkStatus?

        var revision: Int64 { resourceVersion.flatMap { Int64($0) } ?? 0 }
    }

    /// `work` as this worker last wrote it, when that write is newer than `work`.
    private func latest(_ work: Work) -> Work {
        guard let mine = written[work.metadata.name ?? ""], mine.revision > Self.revision(work) else { return work }
        var current = work
        current.status = mine.status
        current.metadata.resourceVersion = mine.resourceVersion
        return current
    }
    /// Set by `stop()`: nothing more is applied or reported. A member event already on its way would otherwise start
    /// a new pass after the stop, find the connections closed by the shutdown that follows, and mark every Work of
    /// the cluster `ClusterUnavailable` (a control plane stopped with 20,000 Works wrote 20,000 such statuses).
    private var stopped = false

    init(cluster: String, client: any ObjectClient, connections: ClusterConnections, events: EventWriter, metrics: SyncMetrics, logger: Logger) {
        self.cluster = cluster
        self.metrics = metrics
        self.events = events
        self.client = client
        self.connections = connections
        self.logger = logger
    }

    /// Every Work of the cluster (a full pass of the controller, a changed Cluster or interpreter): all are visited.
    func submit(all works: [Work], cluster: Cluster, interpreter: ResourceInterpreter, kinds: ResourceRegistry) {
        self.interpreter = interpreter
        self.kinds = kinds
        clusterObject = cluster
        forget(agenda.replaceAll(works))
        schedule()
    }

    /// The Works that changed, and the names of those gone from the store: only the changed ones are visited.
    func submit(changed: [Work], removed: [String]) {
        forget(agenda.update(changed: changed, removed: removed))
        schedule()
    }

    private func forget(_ names: [String]) {
        for name in names {
            setApplied(name, nil)
            written[name] = nil
        }
    }

    private func schedule() {
        guard !stopped else { return }
        passWanted = true
        guard running == nil else { return }
        running = Task { await drain() }
    }

    func stop() {
        stopped = true
        passWanted = false
        running?.cancel()
        retry?.cancel()
        for watch in watches.values { watch.cancel() }
        metrics.worksSynced(-applied.count)
        applied = [:]
    }

    /// Records (or forgets, with nil) the Work spec version in force on the member, keeping `worksSynced` in step.
    private func setApplied(_ name: String, _ version: String?) {
        let before = applied.count
        applied[name] = version
        if applied.count != before { metrics.worksSynced(applied.count - before) }
    }

    /// Runs a pass (a retry is due).
    func resubmit() { schedule() }

    private func drain() async {
        while passWanted, let cluster = clusterObject, !Task.isCancelled {
            passWanted = false
            let ok = await sync(cluster)
            if ok {
                backoff = .milliseconds(200)
            } else {
                retry?.cancel()
                let delay = backoff
                backoff = min(backoff * 2, .seconds(10))
                retry = Task { [weak self] in
                    try? await Task.sleep(for: delay)
                    if !Task.isCancelled { await self?.resubmit() }
                }
            }
        }
        running = nil
    }

    /// Returns false when something must be retried.
    private func sync(_ cluster: Cluster) async -> Bool {
        let member: KubeClient
        do {
            member = try await connections.client(for: cluster)
        } catch {
            guard !stopped else { return true }
            for work in agenda.works.values.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") })
            where work.metadata.deletionTimestamp == nil {
                await report(work, applied: false, reason: "ClusterUnavailable", message: error.message)
            }
            agenda.visitEverything()  // what said ClusterUnavailable says otherwise once the member answers
            return false
        }
        watch(member)
        let visits = agenda.takePass()
        ensureWatches(member, works: visits.map(\.work))
        var ok = true
        for visit in visits {
            // A stop ends the pass between Works; what was not looked at is looked at by the next process.
            if stopped { return true }
            let work = visit.work
            let name = work.metadata.name ?? ""
            if work.metadata.deletionTimestamp != nil {
                if await remove(work, from: member) {
                    setApplied(name, nil)
                    written[name] = nil
                    await releaseFinalizer(work)
                } else {
                    agenda.retry(name, report: false, recheck: false)
                    ok = false
                }
                continue
            }
            // Suspended (the policy's `suspension`): nothing is applied or changed on the member until resumed.
            if work.spec.suspendDispatching == true {
                await reportSuspended(work)
                continue
            }
            let manifests = work.spec.workload?.manifests ?? []
            let missing = manifests.contains { manifest in
                memberSet(for: manifest).map { $0.synced && !$0.contains(manifest) } ?? false
            }
            let version = "\(work.metadata.generation ?? 0)|\(work.metadata.annotations?[WorkRendering.conflictResolutionAnnotation] ?? "")"
            var wrote = false
            if applied[name] != version || missing || visit.recheck {
                switch await apply(work, manifests: manifests, to: member) {
                case .success:
                    setApplied(name, version)
                    wrote = true
                case .failure(let error):
                    agenda.retry(name, report: false, recheck: visit.recheck)
                    ok = ok && error.reason == .conflict && error.message.hasPrefix("ConflictWithExisting")
                    await report(work, applied: false, reason: error.reason == .conflict ? "ConflictWithExisting" : "AppliedFailed",
                        message: error.message)
                    continue
                }
            }
            // Nothing about this Work moved since its last report (no member event, no new spec): nothing to say.
            guard visit.report || wrote else { continue }
            if !(await report(work, applied: true, reason: "AppliedSuccessful", message: "Manifest has been successfully applied")) {
                agenda.retry(name, report: true, recheck: false)
                ok = false
            }
        }
        return ok
    }

    /// Kinds whose members' objects have a status the control plane reads back (the built-in interpreter's).
    static let statusKinds = [Deployment.descriptor, StatefulSet.descriptor, DaemonSet.descriptor, Job.descriptor, CronJob.descriptor,
                              Pod.descriptor, PersistentVolumeClaim.descriptor]

    /// The kinds whose member objects are watched: Deployments always, and the kinds the works carry that have a
    /// built-in status (the workload kinds, PersistentVolumeClaims) or that a customization interprets the status or
    /// health of.
    private func watchedKinds(_ works: [Work]) -> [ResourceDescriptor] {
        var watched = [Deployment.descriptor]
        for manifest in works.flatMap({ $0.spec.workload?.manifests ?? [] })
        where Self.statusKinds.contains(where: { $0.kind == manifest.kind && $0.apiVersion == manifest.apiVersion })
            || interpreter.isCustomized(.interpretStatus, for: manifest) || interpreter.isCustomized(.interpretHealth, for: manifest) {
            if let kind = kinds.descriptor(apiVersion: manifest.apiVersion ?? "", kind: manifest.kind ?? ""),
               !watched.contains(where: { $0.groupResource == kind.groupResource }) { watched.append(kind) }
        }
        return watched
    }

    private func memberSet(for manifest: JSONValue) -> MemberCopies? {
        guard let kind = kinds.descriptor(apiVersion: manifest.apiVersion ?? "", kind: manifest.kind ?? "") else { return nil }
        return memberObjects[kind.plural]
    }

    /// A new member connection starts its watches afresh, and every Work is visited.
    private func watch(_ member: KubeClient) {
        let identity = ObjectIdentifier(member)
        guard watchedClient != identity else { return }
        agenda.visitEverything()
        for watch in watches.values { watch.cancel() }
        watches = [:]
        memberObjects = [:]
        watchedClient = identity
    }

    /// Watches the kinds the Works carry that are not watched yet (a pass over every Work sees every kind; a Work
    /// bringing a new kind is visited).
    private func ensureWatches(_ member: KubeClient, works: [Work]) {
        for kind in watchedKinds(works) where watches[kind.plural] == nil {
            memberObjects[kind.plural] = MemberCopies()
            var informer = Informer(client: member, resource: kind,
                options: ListQuery(labelSelector: "\(ExecutionController.managedLabel)=true"), logger: logger)
            informer.maxBackoff = .seconds(5)
            let plural = kind.plural
            watches[plural] = Task { [weak self] in
                await informer.run { [weak self] event in await self?.observe(event, plural: plural) }
            }
        }
    }

    /// A member object whose spec version moved (its generation; its resourceVersion if it has none, as Karmada's
    /// `ObjectVersion`) has its Work compared again. Status and label-only changes do not move the generation, so what
    /// the member adds to its copy's metadata stays until the Work next changes, as in Karmada.
    private func observe(_ event: InformerEvent, plural: String) {
        switch event {
        case .synced(let objects):
            for object in objects { memberChanged(object, plural: plural) }
            agenda.visitEverything()  // a relist may have dropped objects whose Works must say so
        case .added(let object), .modified(let object): memberChanged(object, plural: plural)
        case .deleted(let object): memberChanged(object, plural: plural, specMoved: false)  // re-created by the `missing` check
        }
        memberObjects[plural]?.apply(event)
        schedule()
    }

    static func specVersion(_ object: JSONValue?) -> String? {
        guard let object else { return nil }
        if let generation = object["metadata"]?["generation"]?.int64Value, generation > 0 { return "g:\(generation)" }
        return "r:\(object.resourceVersion ?? "")"
    }

    /// The object's Work is reported again; compared again too when the object's spec version moved from the copy held.
    private func memberChanged(_ object: JSONValue, plural: String, specMoved: Bool? = nil) {
        guard let work = object.labels[ExecutionController.workNameLabel] else { return }
        agenda.memberChanged(work: work, specMoved: specMoved ?? (memberObjects[plural]?.specVersion(of: object) != Self.specVersion(object)))
    }

    private func apply(_ work: Work, manifests: [JSONValue], to member: KubeClient) async -> Result<Void, APIError> {
        let overwrite = work.metadata.annotations?[WorkRendering.conflictResolutionAnnotation] == "overwrite"
        for manifest in manifests {
            guard let resource = kinds.descriptor(apiVersion: manifest.apiVersion ?? "", kind: manifest.kind ?? "") else {
                return .failure(APIError(.badRequest, "kind \(manifest.kind ?? "?") is not distributed"))
            }
            do {
                try await ensureNamespace(manifest.namespace, on: member)
                // The member's copy as this worker's watch of its kind holds it, once that watch has listed: verifying
                // a Work then takes no request (a control plane back from a restart checks 100,000 Works without
                // 100,000 GETs). When the watch is behind (a create finds the object, an update is refused as
                // stale), the member's own copy decides, once.
                let watched = memberSet(for: manifest).flatMap { $0.synced ? $0 : nil }
                attempts: for attempt in 0..<2 {
                    var current: JSONValue?
                    if attempt == 0, let watched {
                        current = watched.object(for: manifest)
                    } else {
                        do {
                            current = try await member.get(resource, namespace: manifest.namespace, name: manifest.name ?? "")
                        } catch {
                            guard error.reason == .notFound else { throw error }
                        }
                    }
                    var desired = ManifestApply.desired(manifest, work: work)
                    // What the member owns of its copy (a Service's clusterIP, a customization's retained fields) stays.
                    if let current, current.labels[ExecutionController.managedLabel] == "true" || overwrite {
                        do {
                            desired = try interpreter.retain(desired: desired, observed: current)
                        } catch {
                            return .failure(APIError(.badRequest, "Retain: \(error.message)"))
                        }
                    }
                    let written: APIError?
                    switch ManifestApply.decide(desired: desired, current: current, overwrite: overwrite, cluster: cluster, resource: resource.plural) {
                    case .create(let object): written = await Self.attempt { () async throws(APIError) in _ = try await member.create(resource, object) }
                    case .update(let object): written = await Self.attempt { () async throws(APIError) in _ = try await member.update(resource, object) }
                    case .nothing: written = nil
                    case .conflict(let message): return .failure(APIError(.conflict, message))
                    }
                    guard let written else { break attempts }
                    let stale = written.reason == .alreadyExists || written.reason == .conflict
                    if attempt == 1 || watched == nil || !stale { throw written }
                }
            } catch {
                return .failure(error as? APIError ?? APIError(.internalError, "\(error)"))
            }
        }
        return .success(())
    }

    /// The error `write` threw, or nil.
    private static func attempt(_ write: () async throws(APIError) -> Void) async -> APIError? {
        do {
            try await write()
            return nil
        } catch {
            return error
        }
    }

    private func ensureNamespace(_ namespace: String?, on member: KubeClient) async throws(APIError) {
        guard let namespace, namespace != "default" else { return }
        do {
            _ = try await member.create(Namespace.descriptor, Namespace(name: namespace).json())
        } catch {
            if error.reason != .alreadyExists { throw error }
        }
    }

    /// Deletes what the Work applied; true when nothing is left to do. A Namespace stays: deleting it would delete
    /// everything in it, including what other Works placed there (its labels and annotations stay as last applied).
    private func remove(_ work: Work, from member: KubeClient) async -> Bool {
        guard !(work.spec.preserveResourcesOnDeletion ?? false) else { return true }
        for manifest in work.spec.workload?.manifests ?? [] where manifest.kind != Namespace.descriptor.kind {
            guard let resource = kinds.descriptor(apiVersion: manifest.apiVersion ?? "", kind: manifest.kind ?? "") else { continue }
            do {
                let current = try await member.get(resource, namespace: manifest.namespace, name: manifest.name ?? "")
                guard current.labels[ExecutionController.workNameLabel] == work.metadata.name else { continue }
                try await member.delete(resource, namespace: manifest.namespace, name: manifest.name ?? "")
            } catch {
                if error.reason != .notFound { return false }
            }
        }
        return true
    }

    private func releaseFinalizer(_ work: Work) async { await ExecutionController.releaseFinalizer(work, client: client) }

    /// Writes the Applied condition and the member's status for each manifest, when they changed. The Work the
    /// controller handed over goes stale with this worker's first status write (the controller ignores status-only
    /// changes, so it does not hand over a newer one); starting from the worker's own last write avoids a lost
    /// compare-and-swap on every report. A conflict still re-reads the Work (someone else wrote it).
    /// Returns false when the status could not be written (it is then reported again on a retry).
    @discardableResult
    private func report(_ work: Work, applied: Bool, reason: String, message: String) async -> Bool {
        let key = work.metadata.name ?? ""
        var current = latest(work)
        for _ in 0..<3 {
            guard let updated = status(of: current, applied: applied, reason: reason, message: message) else { return true }
            do {
                let stored = try await client.updateStatus(Work.descriptor, updated.json())
                written[key] = Written(resourceVersion: stored.resourceVersion, status: updated.status)
                let previous = current.status?.conditions?[type: "Applied"]
                if previous?.status != (applied ? .true : .false) || (!applied && previous?.message != message) {
                    events.record(work,
                        type: applied ? "Normal" : "Warning", reason: applied ? "WorkApplied" : "WorkApplyFailed",
                        message: applied ? "Applied to cluster \(cluster)" : "Cluster \(cluster): \(message)")
                }
                return true
            } catch {
                // A Work deleted meanwhile has nothing left to report.
                if error.reason == .notFound { return true }
                guard error.reason == .conflict,
                    let fresh = try? await client.get(Work.descriptor, namespace: work.metadata.namespace, name: work.metadata.name ?? ""),
                    let decoded = try? Work(json: fresh) else {
                    logger.debug("work status write failed", metadata: ["work": "\(work.metadata.name ?? "")", "error": "\(error)"])
                    return false
                }
                current = decoded
            }
        }
        return false
    }

    /// Karmada's `Dispatching=False` (reason `SuspendDispatching`) on a suspended Work.
    private func reportSuspended(_ work: Work) async {
        let key = work.metadata.name ?? ""
        var current = latest(work)
        var status = current.status ?? WorkStatus()
        var conditions = status.conditions ?? []
        conditions.set(Condition(type: Self.dispatchingCondition, status: .false, reason: "SuspendDispatching",
            message: "Work dispatching is in a suspended state."), now: Timestamp(Date()))
        status.conditions = conditions
        guard status != current.status else { return }
        current.status = status
        if let stored = try? await client.updateStatus(Work.descriptor, current.json()) {
            written[key] = Written(resourceVersion: stored.resourceVersion, status: current.status)
        }
    }

    static let dispatchingCondition = "Dispatching"

    static func revision(_ work: Work) -> Int64 { work.metadata.resourceVersion.flatMap { Int64($0) } ?? 0 }

    /// The Work with its new status, or nil when nothing changed.
    private func status(of work: Work, applied: Bool, reason: String, message: String) -> Work? {
        var status = work.status ?? WorkStatus()
        var conditions = status.conditions ?? []
        let previous = conditions[type: "Applied"]
        let now = (previous?.status == (applied ? .true : .false) ? previous?.lastTransitionTime : nil) ?? Timestamp(Date())
        conditions.set(Condition(type: "Applied", status: applied ? .true : .false, reason: reason, message: message), now: now)
        if conditions[type: Self.dispatchingCondition] != nil {
            conditions.set(Condition(type: Self.dispatchingCondition, status: .true, reason: "DispatchingResumed",
                message: "Work dispatching is no longer suspended."), now: Timestamp(Date()))
        }
        status.conditions = conditions
        status.manifestStatuses = (work.spec.workload?.manifests ?? []).enumerated().map { ordinal, manifest in
            let gv = GroupVersion(apiVersion: manifest.apiVersion ?? "")
            let member = memberSet(for: manifest)?.object(for: manifest)
            return ManifestStatus(identifier: ResourceIdentifier(ordinal: Int32(ordinal), group: gv?.group ?? "", version: gv?.version ?? "",
                kind: manifest.kind ?? "", resource: kinds.descriptor(apiVersion: manifest.apiVersion ?? "", kind: manifest.kind ?? "")?.plural ?? "",
                namespace: manifest.namespace, name: manifest.name ?? ""),
                status: member.flatMap { try? interpreter.reflectStatus($0) }, health: health(member, applied: applied))
        }
        guard status != work.status else { return nil }
        var updated = work
        updated.status = status
        return updated
    }

    /// Karmada's health: the interpreter's verdict on the member's object; a kind nothing interprets is Healthy once
    /// applied; a script that fails leaves it Unknown.
    private func health(_ member: JSONValue?, applied: Bool) -> String {
        guard let member else { return applied ? "Healthy" : "Unknown" }
        do {
            guard let healthy = try interpreter.health(member) else { return "Healthy" }
            return healthy ? "Healthy" : "Unhealthy"
        } catch {
            return "Unknown"
        }
    }
}
