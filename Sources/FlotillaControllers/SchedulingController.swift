import FlotillaAPI
import FlotillaScheduler
import KubeClient
import Logging

/// The scheduling loop: for every ResourceBinding with a placement, runs the pure `Scheduler` against the current
/// clusters and writes the result when it differs — `spec.clusters` first, then status (`Scheduled` condition with
/// reason, `schedulerObservedGeneration`, `schedulerObservingAffinityName`, `lastScheduledTime`). Re-evaluated on
/// every change to bindings or clusters; Steady mode keeps a result whose inputs did not change, so a pass with
/// nothing new writes nothing. Unschedulable bindings get `Scheduled=False` and one event per distinct reason.
public struct SchedulingController: Sendable {
    let client: any ObjectClient
    let scheduler: Scheduler
    let clock: any TimeSource
    let events: EventWriter
    let logger: Logger
    let metrics: SchedulingMetrics?

    public init(client: any ObjectClient, scheduler: Scheduler = Scheduler(), clock: any TimeSource = SystemTimeSource(),
                metrics: SchedulingMetrics? = nil, logger: Logger = Logger(label: "flotilla.scheduler")) {
        self.client = client
        self.scheduler = scheduler
        self.clock = clock
        self.metrics = metrics
        self.events = EventWriter(client: client, component: "flotilla-scheduler", clock: clock)
        self.logger = logger
    }

    public func loop() -> ControllerLoop {
        ControllerLoop(name: "scheduler", client: client, resources: [ResourceBinding.descriptor, Cluster.descriptor], logger: logger) { snapshot in
            await self.reconcile(snapshot)
        }
    }

    func reconcile(_ snapshot: ObjectSnapshot) async -> Duration? {
        let clusters = snapshot.typed(Cluster.self)
        var failed = false
        for binding in snapshot.typed(ResourceBinding.self) where binding.metadata.deletionTimestamp == nil && binding.spec.placement != nil {
            do {
                try await schedule(binding, clusters: clusters)
            } catch {
                if error.reason != .conflict && error.reason != .notFound {
                    failed = true
                    logger.warning("cannot write scheduling result", metadata: ["binding": "\(binding.metadata.name ?? "")", "error": "\(error)"])
                }
            }
        }
        return failed ? .seconds(1) : nil
    }

    func schedule(_ binding: ResourceBinding, clusters: [Cluster]) async throws(APIError) {
        let started = ContinuousClock.now
        let context = SchedulingContext(binding: binding)
        let decision = scheduler.decide(context, clusters: clusters)
        metrics?.recordAlgorithm(ContinuousClock.now - started)
        let now = Timestamp(clock.now())
        var status = binding.status ?? ResourceBindingStatus()
        var conditions = status.conditions ?? []
        var written = binding
        switch decision.outcome {
        case .scheduled(let targets):
            let clustersResult = targets.filter { ($0.replicas ?? 0) > 0 || context.replicas == 0 }.sorted { $0.name < $1.name }
            if clustersResult != (binding.spec.clusters ?? []) {
                written.spec.clusters = clustersResult
                let object = try await client.update(ResourceBinding.descriptor, written.json())
                written = (try? ResourceBinding(json: object)) ?? written
                status.lastScheduledTime = now
                await events.record(binding.json(), reason: "ScheduleBindingSucceed",
                    message: "Binding has been scheduled to " + clustersResult.map { "\($0.name):\($0.replicas ?? 0)" }.joined(separator: ", "))
            } else if context.fresh {
                status.lastScheduledTime = now
            }
            conditions.set(Condition(type: "Scheduled", status: .true, reason: "Success", message: "Binding has been scheduled successfully."), now: now)
            status.schedulerObservingAffinityName = decision.affinityName
            metrics?.recordAttempt("scheduled")
        case .unschedulable(let reason):
            let previous = conditions[type: "Scheduled"]
            if previous?.status != .false || previous?.message != reason {
                await events.record(binding.json(), type: "Warning", reason: "ScheduleBindingFailed", message: reason)
            }
            conditions.set(Condition(type: "Scheduled", status: .false, reason: "NoClusterFit", message: reason), now: now)
            metrics?.recordAttempt("unschedulable")
        }
        status.conditions = conditions
        status.schedulerObservedGeneration = written.metadata.generation
        guard status != binding.status else { return }
        written.status = status
        _ = try await client.updateStatus(ResourceBinding.descriptor, written.json())
        metrics?.recordEndToEnd(ContinuousClock.now - started)
    }
}

/// What the scheduling loop reports (the `flotilla serve` metrics endpoint wires these to Prometheus).
public struct SchedulingMetrics: Sendable {
    public var recordAttempt: @Sendable (String) -> Void
    public var recordAlgorithm: @Sendable (Duration) -> Void
    public var recordEndToEnd: @Sendable (Duration) -> Void

    public init(recordAttempt: @escaping @Sendable (String) -> Void, recordAlgorithm: @escaping @Sendable (Duration) -> Void,
                recordEndToEnd: @escaping @Sendable (Duration) -> Void) {
        self.recordAttempt = recordAttempt
        self.recordAlgorithm = recordAlgorithm
        self.recordEndToEnd = recordEndToEnd
    }
}
