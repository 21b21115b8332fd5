import FlotillaAPI
import Testing
@testable import EdgeClusterSim

/// The StatefulSet, DaemonSet and Job controllers, pure: snapshot in, actions out.
@Suite struct WorkloadControllerTests {
    static let now = ControllerTests.now

    static func template(restart: String = "Always") -> PodTemplateSpec {
        var template = PodTemplateSpec(metadata: ObjectMeta(labels: ["app": "w"]), spec: PodSpec(containers: [Container(name: "main", image: "nginx:1")]))
        template.spec.restartPolicy = restart
        return template
    }

    static func owned(_ name: String, by uid: String, kind: String, ready: Bool = true, phase: String? = nil, node: String = "n1",
                      revision: String? = nil, annotations: [String: String] = [:]) -> Pod {
        var pod = ControllerTests.pod(name, node: node, ready: ready)
        pod.metadata.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: kind, name: "w", uid: uid, controller: true)]
        if let revision { pod.metadata.labels = ["controller-revision-hash": revision] }
        if let phase { pod.status?.phase = phase; pod.status?.conditions = [] }
        pod.metadata.annotations = annotations
        return pod
    }

    static func statefulSet(replicas: Int32, policy: String = "OrderedReady") -> StatefulSet {
        var set = StatefulSet(metadata: ObjectMeta(name: "db", namespace: "default"),
                              spec: StatefulSetSpec(replicas: replicas, selector: LabelSelector(matchLabels: ["app": "w"]), template: template()))
        set.spec.podManagementPolicy = policy
        set.metadata.uid = "sts"
        set.metadata.generation = 1
        return set
    }

    static func created(_ actions: [SiteAction]) -> [String] {
        ControllerTests.creates(actions).map { $0.name ?? ($0["metadata"]?["generateName"]?.stringValue ?? "") }
    }

    /// (replicas, policy, existing pods as (ordinal, ready)) → pods created, pods deleted.
    static let orderCases: [(Int32, String, [(Int, Bool)], [String], [String])] = [
        (3, "OrderedReady", [], ["db-0"], []),
        (3, "OrderedReady", [(0, false)], [], []),
        (3, "OrderedReady", [(0, true)], ["db-1"], []),
        (3, "Parallel", [], ["db-0", "db-1", "db-2"], []),
        (1, "OrderedReady", [(0, true), (1, true), (2, true)], [], ["db-2"]),
        (1, "Parallel", [(0, true), (1, true), (2, true)], [], ["db-2", "db-1"]),
    ]

    @Test(arguments: orderCases)
    func statefulSetOrder(_ replicas: Int32, _ policy: String, _ existing: [(Int, Bool)], _ creates: [String], _ deletes: [String]) {
        let set = Self.statefulSet(replicas: replicas, policy: policy)
        let revision = "db-\(DeploymentController.templateHash(set.spec.template))"
        let pods = existing.map { Self.owned("db-\($0.0)", by: "sts", kind: "StatefulSet", ready: $0.1, revision: revision) }
        let actions = StatefulSetController().reconcile(set, owned: pods, claims: [], now: Self.now)
        #expect(Self.created(actions) == creates)
        #expect(ControllerTests.deletes(actions) == deletes)
    }

    @Test func aStatefulSetRollsTheHighestOutdatedPodOnlyWhenAllAreReady() {
        let set = Self.statefulSet(replicas: 2)
        let old = [Self.owned("db-0", by: "sts", kind: "StatefulSet", revision: "db-old"), Self.owned("db-1", by: "sts", kind: "StatefulSet", revision: "db-old")]
        #expect(ControllerTests.deletes(StatefulSetController().reconcile(set, owned: old, claims: [], now: Self.now)) == ["db-1"])
        var notReady = old
        notReady[0] = Self.owned("db-0", by: "sts", kind: "StatefulSet", ready: false, revision: "db-old")
        #expect(ControllerTests.deletes(StatefulSetController().reconcile(set, owned: notReady, claims: [], now: Self.now)).isEmpty)
    }

    @Test func aDaemonSetGoesWhereItIsToleratedAndLeavesWhereItIsNot() {
        var set = DaemonSet(metadata: ObjectMeta(name: "agent", namespace: "default"),
                            spec: DaemonSetSpec(selector: LabelSelector(matchLabels: ["app": "w"]), template: Self.template()))
        set.metadata.uid = "ds"
        set.spec.template.spec.tolerations = [Toleration(key: "edge", operator: "Exists")]
        let nodes = [ControllerTests.node("n1"), ControllerTests.node("n2", taints: [Taint(key: "edge", effect: "NoSchedule")]),
                     ControllerTests.node("n3", taints: [Taint(key: "gpu", effect: "NoSchedule")]), ControllerTests.node("n4", ready: false),
                     ControllerTests.node("n5", unschedulable: true)]
        let misplaced = Self.owned("agent-x", by: "ds", kind: "DaemonSet", node: "n3")
        let actions = DaemonSetController().reconcile(set, owned: [misplaced], nodes: nodes, now: Self.now)
        let placed = ControllerTests.creates(actions).compactMap { $0["spec"]?["nodeName"]?.stringValue }.sorted()
        #expect(placed == ["n1", "n2", "n5"])
        #expect(ControllerTests.deletes(actions) == ["agent-x"])
        let status = try? DaemonSet(json: ControllerTests.updates(actions, DaemonSet.descriptor.groupResource).first ?? .null).status
        #expect(status?.desiredNumberScheduled == 3 && status?.numberMisscheduled == 1)
    }

    static func job(completions: Int32?, parallelism: Int32, backoff: Int32 = 6, indexed: Bool = false) -> Job {
        var job = Job(metadata: ObjectMeta(name: "batch", namespace: "default"), spec: JobSpec(template: Self.template(restart: "Never"),
                                                                                                completions: completions, parallelism: parallelism))
        job.spec.backoffLimit = backoff
        if indexed { job.spec.completionMode = "Indexed" }
        job.metadata.uid = "job"
        return job
    }

    /// (completions, parallelism, backoff limit, pod phases) → pods created, the condition the Job ends with.
    static let jobCases: [(Int32?, Int32, Int32, [String], Int, String?)] = [
        (4, 2, 6, [], 2, nil),
        (4, 2, 6, ["Succeeded", "Succeeded", "Running"], 1, nil),
        (4, 2, 6, ["Succeeded", "Succeeded", "Succeeded", "Running"], 0, nil),
        (2, 2, 6, ["Succeeded", "Succeeded"], 0, "Complete"),
        (nil, 3, 6, ["Succeeded", "Running"], 0, nil),
        (nil, 3, 6, ["Succeeded"], 0, "Complete"),
        (3, 1, 1, ["Failed", "Failed"], 0, "Failed"),
        (3, 1, 1, ["Failed"], 1, nil),
    ]

    @Test(arguments: jobCases)
    func jobProgress(_ completions: Int32?, _ parallelism: Int32, _ backoff: Int32, _ phases: [String], _ creates: Int, _ ending: String?) throws {
        let job = Self.job(completions: completions, parallelism: parallelism, backoff: backoff)
        let pods = phases.enumerated().map { offset, phase in
            Self.owned("p\(offset)", by: "job", kind: "Job", ready: phase == "Running", phase: phase == "Running" ? nil : phase)
        }
        let (actions, _) = JobController().reconcile(job, owned: pods, now: Self.now)
        #expect(ControllerTests.creates(actions).count == creates)
        let status = try Job(json: try #require(ControllerTests.updates(actions, Job.descriptor.groupResource).first)).status
        #expect(status?.conditions?.last { $0.status == .true && ["Complete", "Failed"].contains($0.type) }?.type == ending)
    }

    @Test func anIndexedJobRunsTheMissingIndexesLowestFirst() throws {
        let job = Self.job(completions: 4, parallelism: 2, indexed: true)
        let pods = [Self.owned("a", by: "job", kind: "Job", phase: "Succeeded", annotations: [JobController.indexKey: "0"]),
                    Self.owned("b", by: "job", kind: "Job", ready: true, annotations: [JobController.indexKey: "2"])]
        let (actions, _) = JobController().reconcile(job, owned: pods, now: Self.now)
        let created = ControllerTests.creates(actions)
        #expect(created.compactMap { $0["metadata"]?["annotations"]?[JobController.indexKey]?.stringValue } == ["1"])
        #expect(created.first?.value(at: ["spec", "containers"])?.arrayValue?.first?["env"]?.arrayValue?.last?["value"] == "1")
        let status = try Job(json: try #require(ControllerTests.updates(actions, Job.descriptor.groupResource).first)).status
        #expect(status?.completedIndexes == "0")
        #expect(JobController.ranges([0, 1, 2, 4, 6, 7]) == "0-2,4,6-7")
    }

    @Test func aCronJobRunsTheLatestDueTimeOnceAndKeepsItsHistory() throws {
        var cronJob = CronJob(metadata: ObjectMeta(name: "tick", namespace: "default"),
                              spec: CronJobSpec(schedule: "*/10 * * * *", jobTemplate: JobTemplateSpec(spec: JobSpec(template: Self.template(restart: "Never")))))
        cronJob.metadata.uid = "cj"
        cronJob.metadata.creationTimestamp = Timestamp(seconds: Self.now.seconds - 3600)
        cronJob.spec.successfulJobsHistoryLimit = 1
        var finished: [Job] = []
        for minute in [1, 2] {
            var job = Self.job(completions: 1, parallelism: 1)
            job.metadata.name = "tick-old-\(minute)"
            job.metadata.uid = "j\(minute)"
            job.metadata.creationTimestamp = Timestamp(seconds: Int64(minute))
            job.status = JobStatus()
            job.status?.conditions = [JobCondition(type: "Complete", status: .true)]
            finished.append(job)
        }
        let (actions, due) = CronJobController().reconcile(cronJob, owned: finished, now: Self.now)
        let jobs = ControllerTests.creates(actions, Job.descriptor.groupResource)
        #expect(jobs.count == 1, "one run for the latest due time, however many were missed")
        let latest = (Self.now.seconds / 600) * 600
        #expect(jobs.first?.name == "tick-\(latest / 60)")
        let deleted = actions.compactMap { if case .delete(let r, _, let name, _) = $0, r == Job.descriptor.groupResource { return name } else { return nil } }
        #expect(deleted == ["tick-old-1"])
        #expect(due?.seconds == latest + 600)
    }
}
