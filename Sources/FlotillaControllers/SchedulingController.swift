import FlotillaAPI
import FlotillaRuntime
import FlotillaScheduler
import KubeClient
import Logging

/// The scheduling loop: for every ResourceBinding (and ClusterResourceBinding) with a placement, runs the pure `Scheduler` against the current
/// clusters and writes the result when it differs — `spec.clusters` and status (`Scheduled` condition with reason,
/// `schedulerObservedGeneration`, `schedulerObservingAffinityName`, `lastScheduledTime`) in one update. Re-evaluated on
/// every change to bindings or clusters; Steady mode keeps a result whose inputs did not change, so a pass with
/// nothing new writes nothing. Unschedulable bindings get `Scheduled=False` and one event per distinct reason.
public struct SchedulingController: Sendable {
    let client: any ObjectClient
    let scheduler: Scheduler
    let clock: any TimeSource
    public let events: EventWriter
    let logger: Logger
    let metrics: SchedulingMetrics?
    let clusterState = ClusterState()
    let queue = QueueState()
    /// Bindings decided and written at once within a pass. Each waits for two commits (its result, then its event),
    /// so more in flight fill more of each group commit: 64 decided 15–25 % more bindings per second than 16 in the
    /// scheduler bench; 256 no more than 64.
    static let concurrency = 64

    public init(client: any ObjectClient, scheduler: Scheduler = Scheduler(), clock: any TimeSource = SystemTimeSource(),
                metrics: SchedulingMetrics? = nil, logger: Logger = Logger(label: "flotilla.scheduler")) {
        self.client = client
        self.scheduler = scheduler
        self.clock = clock
        self.metrics = metrics
        self.events = EventWriter(client: client, component: "flotilla-scheduler", clock: clock)
        self.logger = logger
    }

    public func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        ControllerLoop(name: "scheduler", client: client, informers: informers,
                       resources: [ResourceBinding.descriptor, ClusterResourceBinding.descriptor, Cluster.descriptor, AppProfile.descriptor,
                                   LatencyMatrix.descriptor, Deployment.descriptor],
                       statusBlind: [ResourceBinding.descriptor, ClusterResourceBinding.descriptor, Deployment.descriptor], clock: runtimeClock(clock), logger: logger) { snapshot, changes in
            await self.reconcile(snapshot, changes)
        }
    }

    /// Which bindings a pass decides: all of them when the clusters changed in a way filters see (membership,
    /// spec, labels, readiness, API enablements); otherwise only the bindings that changed (or, on a full pass, any) and
    /// still need a decision (new generation, Fresh, never scheduled) — plus, on any cluster change, those that are
    /// unschedulable, since freed capacity may let them fit. Capacity changes alone do not move placed replicas
    /// (Karmada's behaviour: a Steady result stands until its inputs change).
    /// A full pass without a filter-visible cluster change (a retry, a relist, the periodic resync) looks at every
    /// binding but decides only those that need it. A change to an AppProfile (its demand, budget) or a latency
    /// matrix re-decides every binding an AppProfile selects: that is how replicas follow the users. So does every
    /// full pass, because those inputs live outside the binding: a retry after a lost write race would otherwise
    /// find the binding's own fields settled and never apply the new demand.
    func reconcile(_ snapshot: ObjectSnapshot, _ changes: Changes) async -> Duration? {
        let profiles = snapshot.typed(AppProfile.self)
        let rtt = profiles.isEmpty ? [:] : LatencyMatrix.merged(snapshot.typed(LatencyMatrix.self))
        // An AppProfile's status counts: `status.demand`, which the mobility service writes, is where the users are.
        let latencyChanged = changes.touched(AppProfile.descriptor) || !changes.statusOnlyKeys(AppProfile.descriptor).isEmpty
            || changes.touched(LatencyMatrix.descriptor)
        @Sendable func latency(for resource: ObjectReference, labels: [String: String]?) -> LatencyRequirement? {
            guard !profiles.isEmpty else { return nil }
            let deployment = snapshot.object(Deployment.descriptor, key: "\(resource.namespace ?? "")/\(resource.name ?? "")")
            return LatencyRequirement.profile(for: resource, labels: deployment?.labels ?? labels ?? [:], in: profiles)
                .map { LatencyRequirement(profile: $0, rtt: rtt) }
        }
        let everything = await clusterState.update(snapshot, changed: changes.full ? nil
            : changes.keys(Cluster.descriptor).union(changes.statusOnlyKeys(Cluster.descriptor)))
        // Bindings are chosen from their JSON and decoded in the concurrent part below: decoding thousands at the start
        // of a pass (a backlog, a cluster change) ran on one core while the other waited.
        // Both binding kinds: a ClusterResourceBinding's key (`/<name>`) never equals a ResourceBinding's.
        let changed = changes.keys(ResourceBinding.descriptor).union(changes.keys(ClusterResourceBinding.descriptor))
        func binding(_ key: String) -> JSONValue? { snapshot.object(ResourceBinding.descriptor(ofKey: key), key: key) }
        func allBindings() -> [JSONValue] { snapshot.objects(ResourceBinding.descriptor) + snapshot.objects(ClusterResourceBinding.descriptor) }
        var chosen: [String: JSONValue] = [:]
        if everything || changes.full {
            for object in allBindings() where everything || Self.needsDecision(object) {
                chosen[WatchedSet.key(object)] = object
            }
        } else {
            for key in changed {
                if let object = binding(key), Self.needsDecision(object) { chosen[key] = object }
            }
        }
        if !everything {
            let all = changes.touched(Cluster.descriptor) || latencyChanged || changes.full ? allBindings() : []
            for object in all where chosen[WatchedSet.key(object)] == nil {
                let unschedulable = changes.touched(Cluster.descriptor) && Self.isUnschedulable(object)
                let latencyAware = (latencyChanged || changes.full) && !profiles.isEmpty
                    && Self.resource(of: object).flatMap { latency(for: $0, labels: object.labels) } != nil
                if unschedulable || latencyAware { chosen[WatchedSet.key(object)] = object }
            }
        }
        // The queue: priority order, and bindings backing off or waiting for room stay out of this pass.
        for key in changed where binding(key) == nil { await queue.forget(key) }
        let live = chosen.filter { $0.value["metadata"]?["deletionTimestamp"]?.stringValue == nil && $0.value["spec"]?["placement"]?.objectValue != nil }
        let (order, nextDue) = await queue.ready(live.map { key, object in
            SchedulingQueue.Candidate(key: key, priority: Self.priority(object), changed: changed.contains(key))
        }, clustersChanged: everything || changes.touched(Cluster.descriptor) || latencyChanged)
        metrics?.recordQueueDepth(order.count + (await queue.waiting))
        // One view of the clusters for the whole pass (and the next ones, while no cluster changes): every decision
        // reads it, none copies it. Decisions read only the views (capacity comes from cluster status, not from this
        // pass's results), so the bindings are decided and written several at once, in queue order.
        guard !order.isEmpty else { return nextDue }
        let views = await clusterState.current()
        let outcomes = await concurrently(order.compactMap { key in live[key].map { (key, $0) } }, limit: Self.concurrency) {
            (key: String, object: JSONValue) -> Duration? in
            guard let binding = try? ResourceBinding(json: object) else { return nil }  // either kind: the same shape
            do throws(APIError) {
                if try await schedule(binding, json: object, clusters: views,
                                      latency: latency(for: binding.spec.resource, labels: binding.metadata.labels)) {
                    await queue.succeeded(key)
                } else {
                    await queue.markUnschedulable(key)
                }
                return nil
            } catch where error.reason == .conflict || error.reason == .notFound {
                // A concurrent write (often another controller's status) won the race: decide again right away.
                return ControllerLoop.retryDelay(for: error, current: nil)
            } catch {
                let wait = await queue.failed(key)
                logger.warning("cannot write scheduling result", metadata: ["binding": "\(binding.metadata.name ?? "")", "error": "\(error)",
                                                                         "retryIn": "\(wait)"])
                return wait
            }
        }
        return (outcomes.compactMap { $0 } + [nextDue].compactMap { $0 }).min()
    }

    /// `spec.schedulePriority.priority` (resolved from the policy's priority class), 0 when unset.
    static func priority(_ binding: JSONValue) -> Int64 { binding["spec"]?["schedulePriority"]?["priority"]?.int64Value ?? 0 }

    /// `Scheduled=False`: freed capacity may let it fit.
    static func isUnschedulable(_ binding: JSONValue) -> Bool {
        binding["status"]?["conditions"]?.arrayValue?.first(where: { $0["type"]?.stringValue == "Scheduled" })?["status"]?.stringValue == "False"
    }

    /// `spec.resource`, the workload the binding places.
    static func resource(of binding: JSONValue) -> ObjectReference? {
        binding["spec"]?["resource"].flatMap { try? ObjectDecoder().decode(ObjectReference.self, from: $0) }
    }

    /// A new generation, never scheduled, not `Scheduled=True`, or Fresh (`rescheduleTriggeredAt` after
    /// `lastScheduledTime`, as `SchedulingContext` reads it).
    static func needsDecision(_ binding: JSONValue) -> Bool {
        let status = binding["status"]
        guard let observed = status?["schedulerObservedGeneration"]?.int64Value, observed == binding.generation,
              binding["spec"]?["clusters"]?.arrayValue != nil,
              status?["conditions"]?.arrayValue?.first(where: { $0["type"]?.stringValue == "Scheduled" })?["status"]?.stringValue == "True"
        else { return true }
        return SchedulingContext.isFresh(
            rescheduleTriggeredAt: binding["spec"]?["rescheduleTriggeredAt"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
            lastScheduledTime: status?["lastScheduledTime"]?.stringValue.flatMap(Timestamp.init(rfc3339:)))
    }

    /// Decides one binding and writes the result; true when it was scheduled, false when no cluster fits. `json` is
    /// the binding as stored, which the write reuses except for the members the decision changed.
    @discardableResult
    func schedule(_ binding: ResourceBinding, json: JSONValue, clusters: ClusterSnapshot, latency: LatencyRequirement? = nil) async throws(APIError)
        -> Bool
    {
        let started = ContinuousClock.now
        let context = SchedulingContext(binding: binding, latency: latency)
        let decision = scheduler.decide(context, snapshot: clusters)
        metrics?.recordAlgorithm(ContinuousClock.now - started)
        let scheduled = if case .scheduled = decision.outcome { true } else { false }
        let now = Timestamp(clock.now())
        var status = binding.status ?? ResourceBindingStatus()
        var conditions = status.conditions ?? []
        var written = binding
        var event: (type: String, reason: String, message: String)?
        switch decision.outcome {
        case .scheduled(let targets):
            let clustersResult = targets.filter { ($0.replicas ?? 0) > 0 || context.replicas == 0 }.sorted { $0.name < $1.name }
            if clustersResult != (binding.spec.clusters ?? []) {
                written.spec.clusters = clustersResult
                // A spec change moves the generation on by one (Kubernetes' rule; the write is guarded by the
                // resourceVersion it was decided from), and this result observes the new generation.
                written.metadata.generation = (binding.metadata.generation ?? 1) + 1
                status.lastScheduledTime = now
                event = ("Normal", "ScheduleBindingSucceed",
                         "Binding has been scheduled to " + clustersResult.map { "\($0.name):\($0.replicas ?? 0)" }.joined(separator: ", "))
            } else if context.fresh {
                status.lastScheduledTime = now
            }
            conditions.set(Condition(type: "Scheduled", status: .true, reason: "Success", message: "Binding has been scheduled successfully."), now: now)
            status.schedulerObservingAffinityName = decision.affinityName
            metrics?.recordAttempt("scheduled")
        case .unschedulable(let reason):
            let previous = conditions[type: "Scheduled"]
            if previous?.status != .false || previous?.message != reason { event = ("Warning", "ScheduleBindingFailed", reason) }
            conditions.set(Condition(type: "Scheduled", status: .false, reason: "NoClusterFit", message: reason), now: now)
            metrics?.recordAttempt("unschedulable")
        }
        status.conditions = conditions
        status.schedulerObservedGeneration = written.metadata.generation
        guard status != binding.status || written.spec != binding.spec else { return scheduled }
        written.status = status
        if written.spec == binding.spec {
            // Status alone (unschedulable, a Fresh pass that kept the result): through the status subresource, which
            // cannot touch the spec or its generation.
            _ = try await client.updateStatus(ResourceBinding.descriptor(of: json), written.json())
        } else {
            // spec.clusters, the observed generation and the Scheduled condition in one update. Only what the
            // decision changed is encoded: the rest of the stored JSON is the binding already.
            var changed = json
            changed.setValue(written.spec.clusters.map { .array($0.map(\.jsonValue)) }, at: ["spec", "clusters"])
            changed.setValue(written.metadata.generation.map { .integer($0) }, at: ["metadata", "generation"])
            do throws(EncodeError) {
                changed["status"] = try ObjectEncoder().encode(status)
            } catch {
                throw APIError.internalError("cannot encode the scheduling result: \(error)")
            }
            if written.isClusterScoped {
                _ = try await client.updateWithStatus(ClusterResourceBinding(written), json: changed)
            } else {
                _ = try await client.updateWithStatus(written, json: changed)
            }
        }
        if let event {
            if binding.isClusterScoped {
                events.record(json, type: event.type, reason: event.reason, message: event.message)
            } else {
                events.record(binding, type: event.type, reason: event.reason, message: event.message)
            }
        }
        metrics?.recordEndToEnd(ContinuousClock.now - started)
        return scheduled
    }
}

/// What the scheduling loop reports (`flotilla serve` wires these to Prometheus at /metrics).
public struct SchedulingMetrics: Sendable {
    public var recordAttempt: @Sendable (String) -> Void
    public var recordAlgorithm: @Sendable (Duration) -> Void
    public var recordEndToEnd: @Sendable (Duration) -> Void
    /// Bindings waiting for a decision at the start of a pass.
    public var recordQueueDepth: @Sendable (Int) -> Void

    public init(recordAttempt: @escaping @Sendable (String) -> Void, recordAlgorithm: @escaping @Sendable (Duration) -> Void,
                recordEndToEnd: @escaping @Sendable (Duration) -> Void, recordQueueDepth: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.recordAttempt = recordAttempt
        self.recordAlgorithm = recordAlgorithm
        self.recordEndToEnd = recordEndToEnd
        self.recordQueueDepth = recordQueueDepth
    }
}

/// The loop's `SchedulingQueue`, kept across passes.
actor QueueState {
    private var queue = SchedulingQueue()

    func ready(_ candidates: [SchedulingQueue.Candidate], clustersChanged: Bool) -> (keys: [String], nextDue: Duration?) {
        queue.ready(candidates, now: .now, clustersChanged: clustersChanged)
    }

    func succeeded(_ key: String) { queue.succeeded(key) }
    func markUnschedulable(_ key: String) { queue.markUnschedulable(key, now: .now) }
    func failed(_ key: String) -> Duration { queue.failed(key, now: .now) }
    func forget(_ key: String) { queue.forget(key) }
    var waiting: Int { queue.waiting }
}

/// The clusters as the loop last saw them: their scheduler snapshot, kept while no cluster changes (so rankings made
/// in one pass serve the next), and what the filters see of them, to tell a change that can move placements from
/// one that cannot (a new resource summary).
///
/// Incremental: at a thousand clusters whose status changes as pods land, decoding every Cluster and re-deriving every
/// view on each change was 39 % of the control plane's CPU (`flotilla bench fleet`); walking all 1,000 to find the
/// changed ones and building a new snapshot on every pass was still 3.5 %. Only the clusters the pass's changes name
/// are looked at (all of them on a full pass), and the snapshot is built when a pass has a binding to decide.
actor ClusterState {
    private struct Entry {
        let version: String
        let view: ClusterView
        /// What the filters see of the cluster: spec, labels, readiness, deletion, API enablements.
        let filters: JSONValue
    }

    private var entries: [String: Entry] = [:]
    /// Built from `entries` when asked for, kept until a cluster changes.
    private var snapshot: ClusterSnapshot?
    private var seeded = false

    /// Brings the views up to date with the clusters `changed` names (`/name` keys; nil for all of them, as on a full
    /// pass; the first update reads them all whatever it is given). Returns whether what the filters see changed.
    func update(_ snapshot: ObjectSnapshot, changed: Set<String>?) -> Bool {
        var filtersChanged = !seeded
        let changed = seeded ? changed : nil
        seeded = true
        var written: [(name: String, version: String, cluster: Cluster, filters: JSONValue)] = []
        var removed: [String] = []
        func look(at object: JSONValue) {
            guard let name = object.name else { return }
            let revision = object.resourceVersion ?? ""
            if let entry = entries[name], !revision.isEmpty, entry.version == revision { return }
            guard let cluster = try? Cluster(json: object) else { return }
            let filters = Self.filters(cluster)
            if entries[name]?.filters != filters { filtersChanged = true }
            written.append((name, revision, cluster, filters))
        }
        if let changed {
            for key in changed.sorted() {
                if let object = snapshot.object(Cluster.descriptor, key: key) {
                    look(at: object)
                } else if entries[String(key.drop { $0 == "/" })] != nil {
                    removed.append(String(key.drop { $0 == "/" }))
                }
            }
        } else {
            let objects = snapshot.objects(Cluster.descriptor)
            let names = Set(objects.compactMap(\.name))
            removed = entries.keys.filter { !names.contains($0) }
            for object in objects { look(at: object) }
        }
        guard !written.isEmpty || !removed.isEmpty else { return filtersChanged }
        self.snapshot = nil
        for name in removed { entries[name] = nil }
        if removed.isEmpty, written.allSatisfy({ entries[$0.name] != nil }) {
            // The names are as before, so each cluster keeps its place in name order.
            for item in written {
                entries[item.name] = Entry(version: item.version, view: entries[item.name]!.view.replaced(by: item.cluster), filters: item.filters)
            }
            return filtersChanged
        }
        let rewritten = Set(written.map(\.name))
        let clusters = entries.values.filter { !rewritten.contains($0.view.name) }.map(\.view.cluster) + written.map(\.cluster)
        let kept = entries
        let fresh = Dictionary(written.map { ($0.name, ($0.version, $0.filters)) }, uniquingKeysWith: { _, last in last })
        entries = [:]
        for view in ClusterView.of(clusters) {
            let (revision, filter) = fresh[view.name] ?? kept[view.name].map { ($0.version, $0.filters) } ?? ("", .null)
            entries[view.name] = Entry(version: revision, view: view, filters: filter)
        }
        return true
    }

    /// The views as a scheduler snapshot (the same one until a cluster changes).
    func current() -> ClusterSnapshot {
        if let snapshot { return snapshot }
        let made = ClusterSnapshot(views: Array(entries.values.map(\.view)))
        snapshot = made
        return made
    }

    static func filters(_ cluster: Cluster) -> JSONValue {
        [
            "spec": (try? ObjectEncoder().encode(cluster.spec)) ?? .null,
            "labels": .object(JSONObject((cluster.metadata.labels ?? [:]).mapValues { .string($0) })),
            "ready": .bool(cluster.isReady),
            "deleting": .bool(cluster.metadata.deletionTimestamp != nil),
            "apis": (try? ObjectEncoder().encode(cluster.status?.apiEnablements ?? [])) ?? .null,
        ]
    }
}
