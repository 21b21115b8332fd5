import FlotillaAPI
import FlotillaRuntime
import Foundation
import KubeClient
import Logging

/// Runs WorkloadRebalancers: for each new generation, sets `rescheduleTriggeredAt` on every listed workload's binding
/// (so the scheduler places it afresh, ignoring where it runs now) and records a result per workload in
/// `status.observedWorkloads` (`Successful`, or `Failed` with reason `ReferencedBindingNotFound`). Once every
/// workload has a result, `finishTime` is set, and the rebalancer is deleted `ttlSecondsAfterFinished` later.
public struct WorkloadRebalancerController: Sendable {
    let client: any ObjectClient
    let clock: any TimeSource
    let logger: Logger

    public init(client: any ObjectClient, clock: any TimeSource = SystemTimeSource(), logger: Logger = Logger(label: "flotilla.rebalancer")) {
        self.client = client
        self.clock = clock
        self.logger = logger
    }

    public func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        ControllerLoop(name: "workload-rebalancer", client: client, informers: informers, resources: [WorkloadRebalancer.descriptor],
                       statusBlind: [WorkloadRebalancer.descriptor], clock: runtimeClock(clock), logger: logger) { snapshot, _ in
            await self.reconcile(snapshot)
        }
    }

    func reconcile(_ snapshot: ObjectSnapshot) async -> Duration? {
        var retry: TimeInterval?
        let now = clock.now()
        for rebalancer in snapshot.typed(WorkloadRebalancer.self) where rebalancer.metadata.deletionTimestamp == nil {
            do throws(APIError) {
                if let after = try await reconcile(rebalancer, now: now) { retry = min(retry ?? after, after) }
            } catch {
                retry = min(retry ?? 1, error.reason == .conflict ? 0.05 : 1)
            }
        }
        return retry.map { .milliseconds(Int64(max(0.05, $0) * 1000)) }
    }

    /// Returns when to look again (a TTL counting down).
    func reconcile(_ rebalancer: WorkloadRebalancer, now: Date) async throws(APIError) -> TimeInterval? {
        if let status = rebalancer.status, status.observedGeneration == rebalancer.metadata.generation {
            guard let ttl = rebalancer.spec.ttlSecondsAfterFinished, let finished = status.finishTime else { return nil }
            let left = finished.date.addingTimeInterval(TimeInterval(ttl)).timeIntervalSince(now)
            guard left <= 0 else { return left }
            try await client.delete(WorkloadRebalancer.descriptor, namespace: nil, name: rebalancer.metadata.name ?? "")
            return nil
        }
        var observed: [ObservedWorkload] = []
        for workload in rebalancer.spec.workloads {
            observed.append(await trigger(workload, at: Timestamp(now)))
        }
        var status = rebalancer.status ?? WorkloadRebalancerStatus()
        status.observedWorkloads = observed
        status.observedGeneration = rebalancer.metadata.generation
        status.finishTime = Timestamp(now)
        var updated = rebalancer
        updated.status = status
        _ = try await client.updateStatus(WorkloadRebalancer.descriptor, updated.json())
        return rebalancer.spec.ttlSecondsAfterFinished.map(TimeInterval.init)
    }

    /// Sets the workload's binding to reschedule afresh: a merge patch of `spec.rescheduleTriggeredAt`, so the
    /// status writes other controllers make meanwhile cannot make it lose a compare-and-swap.
    func trigger(_ workload: WorkloadReference, at now: Timestamp) async -> ObservedWorkload {
        let name = ResourceBinding.name(forTemplate: workload.name, kind: workload.kind)
        // A cluster-scoped workload (no namespace) is bound by a ClusterResourceBinding.
        let kind = (workload.namespace ?? "").isEmpty ? ClusterResourceBinding.descriptor : ResourceBinding.descriptor
        do throws(APIError) {
            let binding = try await client.get(kind, namespace: workload.namespace, name: name)
            let last = binding["status"]?["lastScheduledTime"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
            // Whole seconds: a trigger in the same second as the last schedule would not read as after it.
            let triggered = Timestamp(seconds: max(now.seconds, (last?.seconds ?? 0) + 1))
            _ = try await client.mergePatch(kind, namespace: workload.namespace, name: name,
                                            ["spec": ["rescheduleTriggeredAt": .string(triggered.rfc3339)]])
            return ObservedWorkload(workload: workload, result: "Successful")
        } catch where error.reason == .notFound {
            return ObservedWorkload(workload: workload, result: "Failed", reason: "ReferencedBindingNotFound")
        } catch {
            logger.warning("cannot trigger a reschedule", metadata: ["binding": "\(name)", "error": "\(error)"])
            return ObservedWorkload(workload: workload, result: "Failed", reason: error.message)
        }
    }
}
