import FlotillaAPI
import FlotillaRuntime
import FlotillaScheduler
import Foundation
import KubeClient
import Logging

/// How failover behaves (`flotilla serve --eviction-rate`, `--graceful-eviction-timeout`).
public struct FailoverConfiguration: Sendable {
    /// Evictions a second across all bindings (a token bucket, burst the same number).
    public var evictionRate: Double
    /// How long a Gracefully evicted copy waits for its replacements when the task gives no grace period.
    public var gracefulEvictionTimeout: Duration
    /// The purge mode of a cluster eviction when the policy has no `failover.cluster` (Karmada's
    /// `--no-execute-taint-eviction-purge-mode`).
    public var defaultPurgeMode: String

    public init(evictionRate: Double = 50, gracefulEvictionTimeout: Duration = .seconds(600), defaultPurgeMode: String = PurgeMode.gracefully) {
        self.evictionRate = evictionRate
        self.gracefulEvictionTimeout = gracefulEvictionTimeout
        self.defaultPurgeMode = defaultPurgeMode
    }
}

/// Karmada's taint manager, application failover and graceful eviction controllers in one loop over bindings and
/// clusters (one watch of each, not three). The decisions are pure (`TaintEviction`, `ApplicationFailover`,
/// `GracefulEviction`); this shell remembers the clocks they need, asks the scheduler whether the replicas have
/// somewhere to go, rate-limits the evictions and writes the results.
///
/// An eviction removes the cluster from `spec.clusters` and records a `gracefulEvictionTasks` entry with the
/// replicas it had; the binding's new generation makes the scheduler place the lost replicas (its ClusterEviction
/// filter keeps the cluster out) and the binding controller keeps the old Work until the task ends.
/// **The last copy is never deleted:** an eviction whose replicas the scheduler could place nowhere is not made
/// (condition `FailoverBlocked` and a `EvictionBlocked` event say why), and a task whose binding has no other
/// target does not end.
public actor FailoverController {
    public static let blockedCondition = "FailoverBlocked"

    let client: any ObjectClient
    let scheduler: Scheduler
    let configuration: FailoverConfiguration
    let clock: any TimeSource
    let events: EventWriter
    let logger: Logger
    private var limiter: EvictionRateLimiter
    /// When a taint without `timeAdded` was first seen, by cluster and taint.
    private var taintSeen: [String: Date] = [:]
    /// When each binding's cluster was first seen Unhealthy, by binding key.
    private var unhealthySince: [String: [String: Date]] = [:]
    /// The clusters by name for what reads their spec (taints), rebuilt when a cluster's spec or the set of clusters
    /// changes: a pass over 200 bindings' status reports copied all 1,000 Clusters into a new dictionary (10 % of the
    /// control plane's CPU while placing on a 1,000-site fleet), though clusters' status reports move no taint.
    private var clustersBySpec: [String: Cluster]?

    public init(client: any ObjectClient, scheduler: Scheduler = Scheduler(), configuration: FailoverConfiguration = .init(),
                clock: any TimeSource = SystemTimeSource(), logger: Logger = Logger(label: "flotilla.failover")) {
        self.client = client
        self.scheduler = scheduler
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.events = EventWriter(client: client, component: "failover-controller", clock: clock)
        self.limiter = EvictionRateLimiter(rate: configuration.evictionRate)
    }

    public nonisolated func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        // Status-blind to Clusters: what evicts is a taint (spec); a thousand clusters' status reports (capacity as
        // pods land) changed nothing here, yet each sent every binding through a pass.
        ControllerLoop(name: "failover", client: client, informers: informers, resources: [ResourceBinding.descriptor, ClusterResourceBinding.descriptor, Cluster.descriptor],
                       statusBlind: [Cluster.descriptor], clock: runtimeClock(clock), logger: logger) {
            snapshot, changes in
            await self.reconcile(snapshot, changes)
        }
    }

    /// Bindings whose own object changed, or all of them when clusters changed or the pass is full.
    func reconcile(_ snapshot: ObjectSnapshot, _ changes: Changes) async -> Duration? {
        let everything = changes.full || changes.touched(Cluster.descriptor)
        if everything || clustersBySpec == nil { clustersBySpec = snapshot.typedByName(Cluster.self) }
        let clusters = clustersBySpec ?? [:]
        // With current status (an eviction task ends when its cluster is Ready again): asked for only by bindings
        // with eviction tasks, made once per state of the clusters.
        let current = { snapshot.typedByName(Cluster.self) }
        let keys = everything ? nil : ResourceBinding.kinds.reduce(into: Set<String>()) { keys, kind in
            keys.formUnion(changes.keys(kind).union(changes.statusOnlyKeys(kind)))
        }
        // The scheduler's view of the clusters, made only when a binding has something to evict (rare).
        var views: ClusterSnapshot?
        let snapshotOfClusters = { () -> ClusterSnapshot in
            if let views { return views }
            let made = ClusterSnapshot(snapshot.typed(Cluster.self))
            views = made
            return made
        }
        let now = clock.now()
        var recheck: TimeInterval?
        var live = Set<String>()
        // Typed through the loop's cache: a pass after a cluster change decodes only the bindings that changed.
        // ClusterResourceBindings (few: Namespaces, CRDs) are handled in the same typed form; their writes go to
        // their own kind (`ResourceBinding.descriptor(of:)` reads it from the JSON). A pass for some bindings looks
        // them up by key: listing all bindings on every binding's status report cost in proportion to all of them
        // per report, and the fleet's placements slowed as they accumulated.
        let bindings: [ResourceBinding]
        if let keys {
            bindings = keys.sorted().compactMap { key in
                ResourceBinding.descriptor(ofKey: key).plural == ClusterResourceBinding.descriptor.plural
                    ? snapshot.typed(ClusterResourceBinding.self, key: key).flatMap { try? ResourceBinding(json: $0.json()) }
                    : snapshot.typed(ResourceBinding.self, key: key)
            }
        } else {
            bindings = snapshot.typed(ResourceBinding.self)
                + snapshot.typed(ClusterResourceBinding.self).compactMap { try? ResourceBinding(json: $0.json()) }
        }
        for binding in bindings {
            let key = "\(binding.metadata.namespace ?? "")/\(binding.metadata.name ?? "")"
            live.insert(key)
            guard binding.metadata.deletionTimestamp == nil,
                  !(binding.spec.clusters ?? []).isEmpty || !(binding.spec.gracefulEvictionTasks ?? []).isEmpty else { continue }
            do throws(APIError) {
                if let after = try await reconcile(binding, key: key, clusters: clusters, current: current, views: snapshotOfClusters, now: now) {
                    recheck = min(recheck ?? after, after)
                }
            } catch {
                if error.reason != .conflict && error.reason != .notFound {
                    logger.warning("failover write failed", metadata: ["binding": "\(key)", "error": "\(error)"])
                }
                recheck = min(recheck ?? 1, error.reason == .conflict ? 0.05 : 1)
            }
        }
        if everything { unhealthySince = unhealthySince.filter { live.contains($0.key) } }
        return recheck.map { .milliseconds(Int64(max(0.05, $0) * 1000)) }
    }

    /// One binding: end finished eviction tasks, then evict what the taints and the application's health call for.
    /// Returns when to look again.
    /// `clusters` is current in spec (taints); `current()` also in status.
    func reconcile(_ binding: ResourceBinding, key: String, clusters: [String: Cluster], current: () -> [String: Cluster],
                   views: () -> ClusterSnapshot, now: Date) async throws(APIError) -> TimeInterval?
    {
        var recheck: TimeInterval?
        var binding = binding
        // 1. Finished evictions. A task never ends while the binding has no other target holding replicas.
        if !(binding.spec.gracefulEvictionTasks ?? []).isEmpty {
            let timeout = TimeInterval(configuration.gracefulEvictionTimeout.components.seconds)
            var plan = GracefulEviction.plan(binding, clusters: current(), now: now, timeout: timeout)
            let elsewhere = (binding.spec.clusters ?? []).contains { ($0.replicas ?? 0) > 0 || (binding.spec.replicas ?? 0) == 0 }
            if !elsewhere {
                let kept = Set(plan.ended.filter { $0.why != "the cluster left" && $0.why != "the cluster recovered" }.map(\.cluster))
                plan.keep += (binding.spec.gracefulEvictionTasks ?? []).filter { kept.contains($0.fromCluster) }
                plan.ended.removeAll { kept.contains($0.cluster) }
            }
            recheck = plan.recheckAfter
            if !plan.ended.isEmpty {
                binding.spec.gracefulEvictionTasks = plan.keep.isEmpty ? nil : plan.keep
                let written = try await client.update(ResourceBinding.descriptor(of: binding.json()), binding.json())
                binding = (try? ResourceBinding(json: written)) ?? binding
                for (cluster, why) in plan.ended {
                    events.record(binding, reason: "EvictionCompleted", message: "the old copy on \(cluster) is removed: \(why)")
                }
            }
        }
        // 2. New evictions: NoExecute taints, then the application's own health.
        let taints = TaintEviction.plan(binding, clusters: clusters, now: now) { cluster, taint in self.firstSeen(cluster, taint, now: now) }
        let application = ApplicationFailover.plan(binding, now: now, unhealthySince: trackUnhealthy(key, binding: binding, now: now))
        recheck = [recheck, taints.recheckAfter, application.recheckAfter].compactMap { $0 }.min()
        var wanted: [(cluster: String, task: GracefulEvictionTask)] = []
        let before = (binding.spec.clusters ?? []).map(\.name)
        let items = Dictionary((binding.status?.aggregatedStatus ?? []).map { ($0.clusterName, $0) }, uniquingKeysWith: { a, _ in a })
        for (cluster, taint) in taints.evict {
            let replicas = binding.spec.clusters?.first { $0.name == cluster }?.replicas
            var task = GracefulEvictionTask(fromCluster: cluster, purgeMode: binding.spec.failover?.cluster?.purgeMode ?? configuration.defaultPurgeMode,
                replicas: replicas, reason: GracefulEvictionTask.reasonTaintUntolerated,
                message: "taint \(ClusterTaintPolicyController.describe(taint)) is not tolerated", producer: GracefulEvictionTask.taintManager,
                clustersBeforeFailover: before, creationTimestamp: Timestamp(now))
            task.preservedLabelState = ApplicationFailover.preservedState(binding.spec.failover?.cluster?.statePreservation, status: items[cluster]?.status)
            wanted.append((cluster, task))
        }
        if let behavior = binding.spec.failover?.application {
            for cluster in application.evict where !wanted.contains(where: { $0.cluster == cluster }) {
                let replicas = binding.spec.clusters?.first { $0.name == cluster }?.replicas
                var task = GracefulEvictionTask(fromCluster: cluster, purgeMode: behavior.purgeMode ?? PurgeMode.gracefully, replicas: replicas,
                    reason: GracefulEvictionTask.reasonApplicationFailure,
                    message: "the workload was unhealthy on \(cluster) for \(behavior.decisionConditions?.tolerationSeconds ?? 300) s",
                    producer: GracefulEvictionTask.applicationFailover, gracePeriodSeconds: behavior.gracePeriodSeconds,
                    clustersBeforeFailover: before, creationTimestamp: Timestamp(now))
                task.preservedLabelState = ApplicationFailover.preservedState(behavior.statePreservation, status: items[cluster]?.status)
                wanted.append((cluster, task))
            }
        }
        guard !wanted.isEmpty else {
            try await setBlocked(binding, nil)
            return recheck
        }
        // 3. Only if the replicas have somewhere to go: the scheduler's own answer with these clusters gone.
        let leaving = Set(wanted.map(\.cluster))
        var context = SchedulingContext(binding: binding)
        context.evicting.formUnion(leaving)
        context.previous.removeAll { leaving.contains($0.name) }
        let outcome = scheduler.decide(context, snapshot: views()).outcome
        let placeable: Bool
        var reason = ""
        switch outcome {
        case .scheduled(let targets):
            placeable = targets.contains { ($0.replicas ?? 0) > 0 || context.replicas == 0 }
            if !placeable { reason = "no cluster can take its replicas" }
        case .unschedulable(let why):
            placeable = false
            reason = why
        }
        guard placeable else {
            try await setBlocked(binding, "cannot evict from \(leaving.sorted().joined(separator: ", ")): \(reason); the workload stays there")
            return recheck
        }
        // 4. Rate-limited: as many as there are tokens; the rest wait for the next.
        var admitted: [(cluster: String, task: GracefulEvictionTask)] = []
        for item in wanted {
            guard limiter.take(now: .now) else {
                let wait = limiter.wait(now: .now)
                let seconds = wait.inSeconds
                recheck = min(recheck ?? seconds, seconds)
                break
            }
            admitted.append(item)
        }
        guard !admitted.isEmpty else { return recheck }
        let evicted = Set(admitted.map(\.cluster))
        binding.spec.clusters = binding.spec.clusters?.filter { !evicted.contains($0.name) }
        binding.spec.gracefulEvictionTasks = (binding.spec.gracefulEvictionTasks ?? []) + admitted.map(\.task)
        let written = try await client.update(ResourceBinding.descriptor(of: binding.json()), binding.json())
        binding = (try? ResourceBinding(json: written)) ?? binding
        for (cluster, task) in admitted {
            unhealthySince[key]?[cluster] = nil
            events.record(binding, type: "Warning", reason: "EvictWorkloadFromCluster",
                message: "evicting from \(cluster) (\(task.purgeMode ?? PurgeMode.gracefully)): \(task.message ?? task.reason)")
        }
        try await setBlocked(binding, nil)
        return recheck
    }

    private func firstSeen(_ cluster: String, _ taint: Taint, now: Date) -> Date {
        let key = "\(cluster)/\(ClusterTaintPolicyController.describe(taint))"
        if let seen = taintSeen[key] { return seen }
        taintSeen[key] = now
        return now
    }

    /// Updates when each of the binding's clusters was first seen Unhealthy and returns it.
    private func trackUnhealthy(_ key: String, binding: ResourceBinding, now: Date) -> [String: Date] {
        guard binding.spec.failover?.application != nil else { unhealthySince[key] = nil; return [:] }
        let unhealthy = Set((binding.status?.aggregatedStatus ?? []).filter { $0.health == "Unhealthy" }.map(\.clusterName))
        var since = (unhealthySince[key] ?? [:]).filter { unhealthy.contains($0.key) }
        for cluster in unhealthy where since[cluster] == nil { since[cluster] = now }
        unhealthySince[key] = since.isEmpty ? nil : since
        return since
    }

    /// Sets `FailoverBlocked=True` with `message` (and one event per new message), or clears it when nil.
    private func setBlocked(_ binding: ResourceBinding, _ message: String?) async throws(APIError) {
        let current = binding.status?.conditions?[type: Self.blockedCondition]
        if message == nil, current?.status != .true { return }
        if let message, current?.status == .true, current?.message == message { return }
        if let message { events.record(binding, type: "Warning", reason: "EvictionBlocked", message: message) }
        let now = Timestamp(clock.now())
        try await StatusWriter.update(client, ResourceBinding.descriptor(of: binding.json()), binding.json()) { stored in
            var status = stored.flatMap { try? ObjectDecoder().decode(ResourceBindingStatus.self, from: $0) } ?? ResourceBindingStatus()
            var conditions = status.conditions ?? []
            conditions.set(Condition(type: Self.blockedCondition, status: message == nil ? .false : .true,
                reason: message == nil ? "Resolved" : "NoClusterFit", message: message ?? "nothing is waiting to be evicted"), now: now)
            status.conditions = conditions
            return (try? ObjectEncoder().encode(status)) ?? stored
        }
    }
}
