import FlotillaAPI
import Foundation

/// Makes each CronJob's Jobs at the times its schedule names, as the cronjob controller does: the latest time due
/// since the last one runs once (earlier missed times are skipped, and a time older than `startingDeadlineSeconds`
/// is missed with a Warning); `Forbid` skips a time while a Job runs, `Replace` deletes the running Jobs first;
/// finished Jobs beyond the history limits are deleted, oldest first. Jobs are named `<cronjob>-<minutes since
/// the epoch>`, so a time runs at most once. Pure: snapshot in, actions and the next time something is due out.
struct CronJobController: Sendable {
    let events = EventRecorder(component: "cronjob-controller")

    func reconcile(_ snapshot: SiteSnapshot, now: Timestamp) -> (actions: [SiteAction], due: Timestamp?) {
        let jobs = snapshot.owned(snapshot.jobs)
        var actions: [SiteAction] = []
        var due: Timestamp?
        for cronJob in snapshot.cronJobs where cronJob.metadata.deletionTimestamp == nil {
            let (own, next) = reconcile(cronJob, owned: jobs[cronJob.metadata.uid ?? ""] ?? [], now: now)
            actions += own
            if let next { due = min(due ?? next, next) }
        }
        return (actions, due)
    }

    func reconcile(_ cronJob: CronJob, owned: [Job], now: Timestamp) -> (actions: [SiteAction], due: Timestamp?) {
        guard cronJob.metadata.uid != nil, let name = cronJob.metadata.name, let schedule = try? CronSchedule(cronJob.spec.schedule) else { return ([], nil) }
        var actions: [SiteAction] = []
        var status = cronJob.status ?? CronJobStatus()
        var running = owned.filter { !$0.isFinished && $0.metadata.deletionTimestamp == nil }
        let zone = cronJob.zone
        // The latest scheduled time at or before now, after the last one handled.
        let latest = schedule.latest(after: status.lastScheduleTime ?? cronJob.metadata.creationTimestamp ?? now, upTo: now, in: zone)
        if cronJob.spec.suspend != true, let scheduled = latest {
            if let deadline = cronJob.spec.startingDeadlineSeconds, now.seconds - scheduled.seconds > deadline {
                actions.append(events.event(about: cronJob.reference, type: "Warning", reason: "MissSchedule",
                    message: "Missed scheduled time to start a job: \(scheduled)", at: now))
                status.lastScheduleTime = scheduled
            } else if cronJob.spec.concurrencyPolicy == "Forbid", !running.isEmpty {
                // Waits: the time stays due until the running Job finishes.
            } else {
                if cronJob.spec.concurrencyPolicy == "Replace" {
                    for job in running {
                        actions.append(.delete(Job.descriptor.groupResource, namespace: job.metadata.namespace, name: job.metadata.name ?? "",
                                               uid: job.metadata.uid))
                    }
                    running = []
                }
                let jobName = "\(name)-\(scheduled.seconds / 60)"
                var metadata = cronJob.spec.jobTemplate.metadata ?? ObjectMeta()
                metadata.name = jobName
                metadata.namespace = cronJob.metadata.namespace
                metadata.ownerReferences = [cronJob.controllerReference]
                metadata.annotations = (metadata.annotations ?? [:]).merging(["batch.kubernetes.io/cronjob-scheduled-timestamp": scheduled.description]) { _, new in new }
                let job = Job(metadata: metadata, spec: cronJob.spec.jobTemplate.spec)
                if case .success(let admitted) = Job.descriptor.admit(job.json()), !owned.contains(where: { $0.metadata.name == jobName }) {
                    actions.append(.create(Job.descriptor.groupResource, admitted))
                    actions.append(events.event(about: cronJob.reference, reason: "SuccessfulCreate", message: "Created job \(jobName)", at: now))
                    running.append(job)
                }
                status.lastScheduleTime = scheduled
            }
        }
        // History: finished Jobs beyond the limits go, oldest first.
        for (succeeded, limit) in [(true, cronJob.spec.successfulJobsHistoryLimit ?? 3), (false, cronJob.spec.failedJobsHistoryLimit ?? 1)] {
            let finished = owned.filter { $0.isFinished && $0.succeeded == succeeded }
                .sorted { ($0.metadata.creationTimestamp?.seconds ?? 0, $0.metadata.name ?? "") < ($1.metadata.creationTimestamp?.seconds ?? 0, $1.metadata.name ?? "") }
            for job in finished.dropLast(Int(max(limit, 0))) {
                actions.append(.delete(Job.descriptor.groupResource, namespace: job.metadata.namespace, name: job.metadata.name ?? "", uid: job.metadata.uid))
            }
        }
        status.active = running.isEmpty ? nil : running.map(\.reference)
        let successes = owned.filter(\.succeeded).compactMap(\.status?.completionTime)
        if let last = successes.max() { status.lastSuccessfulTime = last }
        if status != cronJob.status {
            var changed = cronJob
            changed.status = status
            actions.append(.update(CronJob.descriptor.groupResource, changed.json()))
        }
        let next = cronJob.spec.suspend == true ? nil : schedule.next(after: status.lastScheduleTime.map { max($0, now) } ?? now, in: zone)
        return (actions, next)
    }
}
