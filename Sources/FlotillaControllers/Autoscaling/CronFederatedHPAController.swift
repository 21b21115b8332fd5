import FlotillaAPI
import FlotillaRuntime
import Foundation
import KubeClient
import Logging

/// Karmada's CronFederatedHPA controller: each rule runs at the latest time its schedule names since its last run
/// (earlier missed times are not made up; a controller that was down runs a rule once), setting the target
/// workload's replicas or the target FederatedHPA's bounds. Every run, done or failed, is recorded in the rule's
/// execution history (trimmed to its limits) with the next time it is due; the loop wakes for the earliest one.
public struct CronFederatedHPAController: Sendable {
    let client: any ObjectClient
    let clock: any TimeSource
    let logger: Logger
    let events: EventWriter

    public init(client: any ObjectClient, clock: any TimeSource = SystemTimeSource(),
                logger: Logger = Logger(label: "flotilla.cronfederatedhpa")) {
        self.client = client
        self.clock = clock
        self.logger = logger
        self.events = EventWriter(client: client, component: "cronfederatedhpa-controller", clock: clock)
    }

    public func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        ControllerLoop(name: "cronfederatedhpa", client: client, informers: informers,
                       resources: [CronFederatedHPA.descriptor, CustomResourceDefinition.descriptor],
                       statusBlind: [CronFederatedHPA.descriptor, CustomResourceDefinition.descriptor],
                       clock: runtimeClock(clock), logger: logger) { snapshot, _ in
            await reconcile(snapshot)
        }
    }

    func reconcile(_ snapshot: ObjectSnapshot) async -> Duration? {
        let kinds = TemplateKinds(snapshot)
        let now = Timestamp(clock.now())
        var wake: Int64?
        for cron in snapshot.typed(CronFederatedHPA.self) where cron.metadata.deletionTimestamp == nil {
            do throws(APIError) {
                if let next = try await sync(cron, kinds: kinds, now: now) { wake = min(wake ?? next.seconds, next.seconds) }
            } catch {
                if error.reason != .conflict { logger.warning("cron autoscaler sync failed", metadata: ["name": "\(cron.metadata.name ?? "")", "error": "\(error)"]) }
                wake = now.seconds + 1
            }
        }
        // Wake just after the earliest next time (timestamps have whole seconds).
        return wake.map { .milliseconds(max(100, ($0 - Int64(clock.now().timeIntervalSince1970)) * 1000 + 50)) }
    }

    /// Runs the rules that are due; returns when the next is.
    func sync(_ cron: CronFederatedHPA, kinds: TemplateKinds, now: Timestamp) async throws(APIError) -> Timestamp? {
        var histories = cron.status?.executionHistories ?? []
        var next: Timestamp?
        for rule in cron.spec.rules {
            guard let schedule = try? CronSchedule(rule.schedule) else { continue }
            var history = histories.first { $0.ruleName == rule.name } ?? ExecutionHistory(ruleName: rule.name)
            let last = ((history.successfulExecutions ?? []).map(\.scheduleTime) + (history.failedExecutions ?? []).map(\.scheduleTime)).max()
                ?? cron.metadata.creationTimestamp ?? now
            if rule.suspend != true, let due = schedule.latest(after: last, upTo: now, in: rule.zone) {
                do throws(APIError) {
                    var run = SuccessfulExecution(scheduleTime: due, executionTime: now)
                    try await execute(rule, of: cron, kinds: kinds, recording: &run)
                    history.successfulExecutions = Array(((history.successfulExecutions ?? []) + [run]).suffix(Int(rule.successfulHistoryLimit ?? 3)))
                    events.record(cron, reason: "ScaleSucceeded", message: "rule \(rule.name) ran for \(due)")
                } catch {
                    let failed = FailedExecution(scheduleTime: due, executionTime: now, message: error.message)
                    history.failedExecutions = Array(((history.failedExecutions ?? []) + [failed]).suffix(Int(rule.failedHistoryLimit ?? 3)))
                    events.record(cron, type: "Warning", reason: "ScaleFailed", message: "rule \(rule.name): \(error.message)")
                }
            }
            history.nextExecutionTime = rule.suspend == true ? nil : schedule.next(after: now, in: rule.zone)
            if let due = history.nextExecutionTime { next = min(next ?? due, due) }
            if let index = histories.firstIndex(where: { $0.ruleName == rule.name }) { histories[index] = history } else { histories.append(history) }
        }
        histories = histories.filter { history in cron.spec.rules.contains { $0.name == history.ruleName } }
        var status = cron.status ?? CronFederatedHPAStatus()
        status.executionHistories = histories
        if status != cron.status {
            var updated = cron
            updated.status = status
            _ = try await client.updateStatus(CronFederatedHPA.descriptor, updated.json())
        }
        return next
    }

    /// Sets the workload's replicas (through its scale paths) or the FederatedHPA's bounds.
    func execute(_ rule: CronFederatedHPARule, of cron: CronFederatedHPA, kinds: TemplateKinds, recording run: inout SuccessfulExecution)
        async throws(APIError)
    {
        let namespace = cron.metadata.namespace ?? "default"
        let target = cron.spec.scaleTargetRef
        if cron.targetsAutoscaler {
            var spec: JSONObject = [:]
            if let low = rule.targetMinReplicas { spec["minReplicas"] = .integer(Int64(low)) }
            if let high = rule.targetMaxReplicas { spec["maxReplicas"] = .integer(Int64(high)) }
            let current = try await client.get(FederatedHPA.descriptor, namespace: namespace, name: target.name)
            // A bound the rule leaves alone may not cross the one it sets.
            if let low = rule.targetMinReplicas, rule.targetMaxReplicas == nil, let high = current["spec"]?["maxReplicas"]?.int64Value, Int64(low) > high {
                spec["maxReplicas"] = .integer(Int64(low))
            }
            if let high = rule.targetMaxReplicas, rule.targetMinReplicas == nil, let low = current["spec"]?["minReplicas"]?.int64Value, Int64(high) < low {
                spec["minReplicas"] = .integer(Int64(high))
            }
            _ = try await client.mergePatch(FederatedHPA.descriptor, namespace: namespace, name: target.name, ["spec": .object(spec)])
            run.appliedMinReplicas = rule.targetMinReplicas
            run.appliedMaxReplicas = rule.targetMaxReplicas
            return
        }
        guard let kind = kinds.kind(apiVersion: target.apiVersion, kind: target.kind), kind.subresources.contains("scale"),
              let replicas = rule.targetReplicas else {
            throw APIError(.badRequest, "\(target.apiVersion ?? "") \(target.kind) has no scale subresource Flotilla serves")
        }
        let keys = kind.scalePaths.flatMap { StatusPath($0.specReplicasPath)?.keys } ?? ["spec", "replicas"]
        var patch: JSONValue = [:]
        patch.setValue(.integer(Int64(replicas)), at: keys)
        _ = try await client.mergePatch(kind, namespace: namespace, name: target.name, patch)
        run.appliedReplicas = replicas
    }
}
