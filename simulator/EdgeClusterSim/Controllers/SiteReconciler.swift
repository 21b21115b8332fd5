import FlotillaAPI
import FlotillaStore
import Foundation
import Logging

/// Runs the site's controllers — deployment, scheduler, kubelet, endpoints, endpoint slices, service exports and the
/// volume binder — level-triggered: any change to pods, deployments, nodes, services, endpoints or claims (or a due pod start) schedules one pass over a fresh
/// snapshot; changes that arrive during a pass coalesce into the next one. A pass whose writes conflict with a
/// concurrent change simply leaves the decision to the next pass.
actor SiteReconciler {
    let site: String
    let store: any Store
    let clock: any TimeSource
    let logger: Logger
    private let kubelet: FakeKubelet
    private let deployments = DeploymentController()
    /// The Deployments the last passes found nothing to do for.
    private var settledDeployments = SettledInputs()
    private let binder = PodBinder()
    private let endpoints = EndpointsController()
    private let slices = EndpointSliceController()
    private let exports = ServiceExportController()
    private let volumes = VolumeBinder()
    private let statefulSets = StatefulSetController()
    private let daemonSets = DaemonSetController()
    private let jobs = JobController()
    private let cronJobs = CronJobController()
    private let collector = OwnerCollector()
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private var timer: Task<Void, Never>?
    private var decoder = SiteDecoder()
    /// Kinds whose watch reported a change since the last pass read them (all of them before the first pass).
    private var changed = Set(SiteDecoder.kinds.map(\.plural))
    private(set) var passes = 0
    /// Off during a power cut: no pass runs and no workload serves.
    private var powered = true

    init(site: String, store: any Store, clock: any TimeSource, kubelet: KubeletConfiguration, workloads: WorkloadRegistry,
         logger: Logger) {
        self.site = site
        self.store = store
        self.clock = clock
        self.logger = logger
        self.kubelet = FakeKubelet(site: site, configuration: kubelet, workloads: workloads)
        (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    static let watched = SiteDecoder.kinds

    /// Runs until the task is cancelled, then stops the workloads it started.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            for descriptor in Self.watched {
                group.addTask { [store, signal, logger] in
                    while !Task.isCancelled {
                        do {
                            let revision = await store.currentRevision()
                            for await _ in try await store.watch(descriptor.groupResource, options: WatchOptions(resourceVersion: revision)) {
                                await self.markChanged(descriptor.plural)
                                signal.yield()
                            }
                        } catch {
                            logger.debug("watch restarts", metadata: ["resource": "\(descriptor.plural)", "error": "\(error)"])
                            await self.markChanged(descriptor.plural)
                            signal.yield()
                        }
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
            }
            signal.yield()
            for await _ in signals {
                if Task.isCancelled { break }
                await pass()
            }
            group.cancelAll()
        }
        timer?.cancel()
        await kubelet.stopAll()
    }

    /// Ends `run()`'s loop even when no further change arrives.
    nonisolated func finish() { signal.finish() }

    private func markChanged(_ plural: String) { changed.insert(plural) }

    /// One reconciliation over a fresh snapshot: the kinds that changed are read again, the others kept.
    func pass() async {
        guard powered else { return }
        passes += 1
        let kinds = changed
        changed = []
        let snapshot: SiteSnapshot
        do {
            snapshot = decoder.decode(try await SiteDecoder.list(SiteDecoder.kinds.filter { kinds.contains($0.plural) }, from: store))
        } catch {
            changed.formUnion(kinds)
            logger.warning("cannot read the site's objects", metadata: ["error": "\(error)"])
            return
        }
        let now = Timestamp(clock.now())
        let instant = ContinuousClock.now
        var actions = collector.reconcile(snapshot)
        actions += deployments.reconcile(snapshot, now: now, settled: &settledDeployments)
        actions += statefulSets.reconcile(snapshot, now: now)
        actions += daemonSets.reconcile(snapshot, now: now)
        let (jobActions, jobDue) = jobs.reconcile(snapshot, now: now)
        let (cronActions, cronDue) = cronJobs.reconcile(snapshot, now: now)
        actions += jobActions + cronActions
        actions += binder.reconcile(snapshot, now: now)
        let (kubeletActions, kubeletDue) = await kubelet.reconcile(snapshot, now: now, instant: instant)
        actions += kubeletActions
        // Controllers' times (seconds precision) become instants on the pass's clock.
        let dues = [jobDue, cronDue].compactMap { $0 }.map { instant + .seconds(max($0.seconds - now.seconds, 0)) }
        let nextDue = (dues + [kubeletDue].compactMap { $0 }).min()
        actions += endpoints.reconcile(snapshot)
        actions += slices.reconcile(snapshot)
        actions += exports.reconcile(snapshot, now: now)
        actions += volumes.reconcile(snapshot)
        // Power went off while this pass waited: what it started stops, and nothing is written.
        guard powered else { return await kubelet.stopAll() }
        await apply(actions)
        schedule(nextDue)
    }

    private func schedule(_ due: ContinuousClock.Instant?) {
        timer?.cancel()
        guard let due else { return }
        timer = Task { [signal] in
            try? await Task.sleep(until: due, clock: .continuous)
            if !Task.isCancelled { signal.yield() }
        }
    }

    func apply(_ actions: [SiteAction]) async {
        for action in actions {
            do {
                switch action {
                case .create(let resource, let object):
                    _ = try await store.create(resource, object, options: .none)
                case .update(let resource, let object):
                    _ = try await store.update(resource, object, options: .none)
                case .delete(let resource, let namespace, let name, let uid):
                    _ = try await store.delete(resource, namespace: namespace, name: name, options: DeleteOptions(uid: uid))
                }
            } catch {
                // Someone changed or removed the object since the snapshot; the next pass decides again.
                if ![.conflict, .notFound, .alreadyExists].contains(error.reason) {
                    logger.warning("site write failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// What the pod's workload says it uses (nil when it runs none that models usage).
    func usage(ofPod uid: String) async -> WorkloadUsage? { await kubelet.usage(ofPod: uid) }

    func port(ofPod uid: String) async -> Int? { await kubelet.port(ofPod: uid) }

    // MARK: Faults

    /// A power cut: every workload stops and no pass runs until `powerOn`.
    func powerOff() async {
        powered = false
        timer?.cancel()
        await kubelet.stopAll()
    }

    /// Power is back: a full pass, in which the kubelet restarts the workloads of the pods that were running.
    func powerOn() {
        guard !powered else { return }
        powered = true
        changed = Set(SiteDecoder.kinds.map(\.plural))
        signal.yield()
    }

    /// The pod's containers crash; the kubelet restarts them after the startup delay.
    func crash(namespace: String, name: String) async throws(APIError) {
        let object = try await store.get(Pod.descriptor.groupResource, namespace: namespace, name: name)
        let pod: Pod
        do { pod = try Pod(json: object) } catch { throw APIError(.badRequest, "pod \(namespace)/\(name) cannot be read: \(error)") }
        guard pod.spec.nodeName != nil, pod.phase == "Running" else {
            throw APIError(.conflict, "pod \(namespace)/\(name) is not running (phase \(pod.phase))")
        }
        let crashed = await kubelet.crash(pod, now: Timestamp(clock.now()))
        _ = try await store.update(Pod.descriptor.groupResource, crashed.json(), options: .none)
        await apply([EventRecorder(component: "kubelet").event(about: pod.reference, type: "Warning", reason: "BackOff",
            message: "Back-off restarting failed container", at: Timestamp(clock.now()))])
    }

    /// Cordons the node and evicts its pods; their controllers recreate them elsewhere.
    func drain(node name: String) async throws(APIError) -> Int {
        try await setUnschedulable(name, true)
        let snapshot = try await SiteSnapshot.read(from: store)
        let evicted = snapshot.activePods(on: name)
        await apply(evicted.map { pod in
            .delete(Pod.descriptor.groupResource, namespace: pod.metadata.namespace, name: pod.metadata.name ?? "", uid: pod.metadata.uid)
        })
        return evicted.count
    }

    func uncordon(node name: String) async throws(APIError) {
        try await setUnschedulable(name, false)
    }

    private func setUnschedulable(_ name: String, _ value: Bool) async throws(APIError) {
        for _ in 0..<5 {
            let object = try await store.get(Node.descriptor.groupResource, namespace: nil, name: name)
            var node: Node
            do { node = try Node(json: object) } catch { throw APIError(.badRequest, "node \(name) cannot be read: \(error)") }
            var spec = node.spec ?? NodeSpec()
            spec.unschedulable = value ? true : nil
            node.spec = spec
            do {
                _ = try await store.update(Node.descriptor.groupResource, node.json(), options: .none)
                return
            } catch {
                if error.reason != .conflict { throw error }
            }
        }
        throw APIError(.conflict, "node \(name) kept changing; try again")
    }
}
