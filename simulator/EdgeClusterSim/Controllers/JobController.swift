import FlotillaAPI

/// Runs each Job's pods to completion, as the job controller does: up to `parallelism` pods at once until
/// `completions` have succeeded (Complete), or until more than `backoffLimit` have failed or `activeDeadlineSeconds`
/// passed (Failed, and the running pods go). `suspend` removes the running pods and holds the Job; a finished Job
/// with `ttlSecondsAfterFinished` is deleted when that has passed. Without `completions`, the Job completes once one
/// pod has succeeded and none runs. An `Indexed` Job gives each pod a completion index (annotation, label and
/// `JOB_COMPLETION_INDEX`), runs the indexes that have not succeeded, lowest first, and completes when each of
/// 0..<completions has (`status.completedIndexes`). Pure: snapshot in, actions and the next time something is due out.
struct JobController: Sendable {
    let events = EventRecorder(component: "job-controller")

    func reconcile(_ snapshot: SiteSnapshot, now: Timestamp) -> (actions: [SiteAction], due: Timestamp?) {
        let pods = snapshot.owned(snapshot.pods)
        var actions: [SiteAction] = []
        var due: Timestamp?
        for job in snapshot.jobs where job.metadata.deletionTimestamp == nil {
            let (jobActions, jobDue) = reconcile(job, owned: pods[job.metadata.uid ?? ""] ?? [], now: now)
            actions += jobActions
            if let jobDue { due = min(due ?? jobDue, jobDue) }
        }
        return (actions, due)
    }

    func reconcile(_ job: Job, owned: [Pod], now: Timestamp) -> (actions: [SiteAction], due: Timestamp?) {
        guard job.metadata.uid != nil, let name = job.metadata.name else { return ([], nil) }
        var status = job.status ?? JobStatus()
        var actions: [SiteAction] = []
        var due: Timestamp?
        let active = owned.filter { !$0.isTerminal }
        let indexed = job.spec.completionMode == "Indexed"
        let doneIndexes = Set(owned.filter { $0.phase == "Succeeded" }.compactMap(Self.index))
        let succeeded = indexed ? doneIndexes.count : owned.filter { $0.phase == "Succeeded" }.count
        let failed = owned.filter { $0.phase == "Failed" }.count
        if job.isFinished {
            if let ttl = job.spec.ttlSecondsAfterFinished, let finished = status.completionTime ?? status.conditions?.first?.lastTransitionTime {
                let expiry = Timestamp(seconds: finished.seconds + Int64(ttl))
                if expiry.seconds <= now.seconds {
                    return ([.delete(Job.descriptor.groupResource, namespace: job.metadata.namespace, name: name, uid: job.metadata.uid)], nil)
                }
                due = expiry
            }
            return (actions, due)
        }
        if status.startTime == nil, job.spec.suspend != true { status.startTime = now }
        let completions = job.spec.completions.map(Int.init)
        let parallelism = Int(max(job.spec.parallelism ?? 1, 0))
        var finish: (type: String, reason: String, message: String)?
        if let completions, succeeded >= completions {
            finish = ("Complete", "Completed", "Reached expected number of succeeded pods")
        } else if completions == nil, succeeded > 0, active.isEmpty {
            finish = ("Complete", "Completed", "A pod succeeded and none is running")
        } else if failed > Int(job.spec.backoffLimit ?? 6) {
            finish = ("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
        } else if let deadline = job.spec.activeDeadlineSeconds, let start = status.startTime {
            if now.seconds - start.seconds >= deadline {
                finish = ("Failed", "DeadlineExceeded", "Job was active longer than specified deadline")
            } else {
                due = Timestamp(seconds: start.seconds + deadline)
            }
        }
        var created = 0
        var removed: [Pod] = []
        if let finish {
            removed = active
            var conditions = status.conditions ?? []
            if finish.type == "Complete" {
                conditions.append(JobCondition(type: "SuccessCriteriaMet", status: .true, reason: finish.reason, message: finish.message, at: now))
                status.completionTime = now
            } else {
                conditions.append(JobCondition(type: "FailureTarget", status: .true, reason: finish.reason, message: finish.message, at: now))
            }
            conditions.append(JobCondition(type: finish.type, status: .true, reason: finish.reason, message: finish.message, at: now))
            status.conditions = conditions
            actions.append(events.event(about: job.reference, type: finish.type == "Complete" ? "Normal" : "Warning",
                reason: finish.type == "Complete" ? "Completed" : finish.reason, message: finish.message, at: now))
        } else if job.spec.suspend == true {
            removed = active
            var conditions = (status.conditions ?? []).filter { $0.type != "Suspended" }
            conditions.append(JobCondition(type: "Suspended", status: .true, reason: "JobSuspended", message: "Job suspended", at: now))
            status.conditions = conditions
        } else {
            status.conditions = status.conditions?.filter { $0.type != "Suspended" }
            let wanted = completions.map { min(parallelism, max($0 - succeeded, 0)) } ?? (succeeded > 0 ? 0 : parallelism)
            if active.count < wanted {
                // Indexed: the lowest indexes neither done nor running; otherwise any pods.
                let running = Set(active.compactMap(Self.index))
                let indexes: [Int?] = indexed
                    ? Array((0..<Int(completions ?? 0)).filter { !doneIndexes.contains($0) && !running.contains($0) }.prefix(wanted - active.count))
                    : Array(repeating: nil, count: wanted - active.count)
                created = indexes.count
                for index in indexes {
                    var labels = [Job.jobNameLabel: name, "job-name": name]
                    if let index { labels[Self.indexKey] = String(index) }
                    var pod = WorkloadPods.pod(from: job.spec.template, owner: job.controllerReference, namespace: job.metadata.namespace,
                        generateName: index.map { "\(name)-\($0)-" } ?? "\(name)-", labels: labels)
                    if let index {
                        pod.metadata.annotations = (pod.metadata.annotations ?? [:]).merging([Self.indexKey: String(index)]) { _, new in new }
                        pod.spec.containers = pod.spec.containers.map { container in
                            var container = container
                            container.env = (container.env ?? []) + [EnvVar(name: "JOB_COMPLETION_INDEX", value: String(index))]
                            return container
                        }
                    }
                    actions.append(.create(Pod.descriptor.groupResource, pod.json()))
                }
                actions.append(events.event(about: job.reference, reason: "SuccessfulCreate",
                    message: "Created \(created) pod\(created == 1 ? "" : "s")", at: now))
            } else if active.count > wanted {
                removed = Array(DeploymentController.deletionOrder(active).prefix(active.count - wanted))
            }
        }
        actions += removed.map(WorkloadPods.delete)
        status.active = active.count - removed.count + created == 0 ? nil : Int32(active.count - removed.count + created)
        status.ready = Int32(active.filter(\.isReady).count - removed.filter(\.isReady).count)
        status.succeeded = succeeded == 0 ? nil : Int32(succeeded)
        if indexed { status.completedIndexes = doneIndexes.isEmpty ? nil : Self.ranges(doneIndexes) }
        status.failed = failed == 0 ? nil : Int32(failed)
        if status != job.status {
            var changed = job
            changed.status = status
            actions.append(.update(Job.descriptor.groupResource, changed.json()))
        }
        return (actions, due)
    }

    static let indexKey = "batch.kubernetes.io/job-completion-index"

    static func index(_ pod: Pod) -> Int? { pod.metadata.annotations?[indexKey].flatMap(Int.init) }

    /// Kubernetes' interval form of a set of indexes: `0-2,4`.
    static func ranges(_ indexes: Set<Int>) -> String {
        var parts: [String] = []
        var start: Int?, previous = -2
        for index in indexes.sorted() {
            if index != previous + 1 {
                if let start { parts.append(start == previous ? "\(start)" : "\(start)-\(previous)") }
                start = index
            }
            previous = index
        }
        if let start { parts.append(start == previous ? "\(start)" : "\(start)-\(previous)") }
        return parts.joined(separator: ",")
    }
}
