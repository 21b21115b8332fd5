import FlotillaAPI
import Foundation

/// How the simulated kubelets behave.
public struct KubeletConfiguration: Sendable {
    /// From bound to Running and Ready (image pull plus start), and again after a crash.
    public var startupDelay: Duration
    /// Uniform extra delay in [0, jitter], drawn from a generator seeded by the site's name.
    public var jitter: Duration

    public init(startupDelay: Duration = .seconds(1), jitter: Duration = .milliseconds(500)) {
        self.startupDelay = startupDelay
        self.jitter = jitter
    }

    public static let immediate = KubeletConfiguration(startupDelay: .zero, jitter: .zero)
}

/// The kubelets of one site: start bound pods after the configured delay (running the real workload for images
/// in the `WorkloadRegistry`), report them Running and Ready, and stop workloads whose pods are gone.
/// A pod that runs a real workload carries the `sim.flotilla.io/drain` finalizer, so deleting it only marks it
/// terminating: its workload keeps serving until it is no longer `busy` (its sessions moved away) or the pod's
/// `terminationGracePeriodSeconds` (default 30) have passed — a preStop hook that drains — and then the kubelet
/// stops it and lets the pod go.
/// The state is the site's: start deadlines and running workloads by pod UID.
actor FakeKubelet {
    let site: String
    let configuration: KubeletConfiguration
    let workloads: WorkloadRegistry
    private(set) var startAt: [String: ContinuousClock.Instant] = [:]
    private(set) var running: [String: any RunningWorkload] = [:]
    /// When each running pod that runs to completion finishes, by pod UID.
    private(set) var finishAt: [String: ContinuousClock.Instant] = [:]
    static let drainFinalizer = "sim.flotilla.io/drain"
    /// How often a draining workload is asked again whether it is still busy.
    static let drainPoll: Duration = .milliseconds(200)
    private var random: SplitMix64
    private var nextAddress: UInt32 = 0
    private let subnet: UInt32

    init(site: String, configuration: KubeletConfiguration, workloads: WorkloadRegistry) {
        self.site = site
        self.configuration = configuration
        self.workloads = workloads
        let hash = FNV1a.hash32(site)
        self.random = SplitMix64(seed: UInt64(hash))
        self.subnet = 1 + hash % 250
    }

    /// Starts what is due; returns the status writes and when the next start is due.
    func reconcile(_ snapshot: SiteSnapshot, now: Timestamp, instant: ContinuousClock.Instant)
        async -> (actions: [SiteAction], nextDue: ContinuousClock.Instant?)
    {
        var actions: [SiteAction] = []
        var nextDue: ContinuousClock.Instant?
        var live = Set<String>()
        let hostIPs = Dictionary(snapshot.nodes.compactMap { node in
            node.metadata.name.map { ($0, node.status?.addresses?.first { $0.type == "InternalIP" }?.address ?? "127.0.0.1") }
        }, uniquingKeysWith: { a, _ in a })
        for pod in snapshot.pods {
            guard let uid = pod.metadata.uid, let node = pod.spec.nodeName, !pod.isTerminal else { continue }
            live.insert(uid)
            if let deleted = pod.metadata.deletionTimestamp {
                let grace = pod.spec.terminationGracePeriodSeconds ?? 30
                if let workload = running[uid], workload.busy, now.seconds - deleted.seconds < grace {
                    nextDue = min(nextDue ?? instant + Self.drainPoll, instant + Self.drainPoll)
                    continue
                }
                if let workload = running.removeValue(forKey: uid) { await workload.stop() }
                if pod.metadata.finalizers?.contains(Self.drainFinalizer) == true {
                    var released = pod
                    released.metadata.finalizers = pod.metadata.finalizers?.filter { $0 != Self.drainFinalizer }
                    actions.append(.update(Pod.descriptor.groupResource, released.json()))
                }
                continue
            }
            let runnable = pod.spec.containers.first.flatMap { $0.image }.flatMap { workloads.image(for: $0) }
            if pod.isReady, pod.spec.restartPolicy != "Always" {
                // A pod that runs to completion (a Job's) finishes after its run time.
                let finish = finishAt[uid] ?? instant + Self.runTime(of: pod)
                finishAt[uid] = finish
                if finish <= instant {
                    finishAt[uid] = nil
                    if let workload = running.removeValue(forKey: uid) { await workload.stop() }
                    actions.append(Self.finished(pod, now: now))
                    continue
                }
                nextDue = min(nextDue ?? finish, finish)
            }
            if pod.isReady {
                // A Ready runnable pod whose workload is not running (the site restarted) gets it back.
                if runnable != nil, running[uid] == nil, let update = await start(pod, node: node, hostIP: hostIPs[node], now: now) {
                    actions.append(update)
                }
                continue
            }
            let due = startAt[uid] ?? instant + configuration.startupDelay + jitter()
            startAt[uid] = due
            if due <= instant {
                if let update = await start(pod, node: node, hostIP: hostIPs[node], now: now) { actions.append(update) }
                startAt[uid] = nil
            } else {
                nextDue = min(nextDue ?? due, due)
            }
        }
        for uid in startAt.keys where !live.contains(uid) { startAt[uid] = nil }
        for uid in finishAt.keys where !live.contains(uid) { finishAt[uid] = nil }
        for (uid, workload) in running where !live.contains(uid) {
            running[uid] = nil
            await workload.stop()
        }
        return (actions, nextDue)
    }

    /// Runs the workload if the image is runnable and reports the pod Running and Ready.
    private func start(_ pod: Pod, node: String, hostIP: String?, now: Timestamp) async -> SiteAction? {
        guard let uid = pod.metadata.uid else { return nil }
        var started = pod
        var listenPort: Int?
        if let image = pod.spec.containers.first?.image, let runnable = workloads.image(for: image) {
            if let existing = running[uid] {
                listenPort = existing.port
            } else {
                let environment = Dictionary((pod.spec.containers.first?.env ?? []).compactMap { env in env.value.map { (env.name, $0) } },
                    uniquingKeysWith: { _, last in last })
                do {
                    let workload = try await runnable.start(WorkloadContext(site: site, namespace: pod.metadata.namespace ?? "default",
                        pod: pod.metadata.name ?? "", image: image, environment: environment))
                    running[uid] = workload
                    listenPort = workload.port
                } catch {
                    return Self.failedToStart(pod, message: "\(error)", now: now)
                }
            }
        }
        var status = started.status ?? PodStatus()
        status.phase = "Running"
        status.hostIP = hostIP ?? "127.0.0.1"
        status.podIP = listenPort != nil ? "127.0.0.1" : (status.podIP ?? allocateAddress())
        status.podIPs = status.podIP.map { [PodIP(ip: $0)] }
        status.startTime = status.startTime ?? now
        status.reason = nil
        status.message = nil
        for type in ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled"] {
            status.setCondition(PodCondition(type: type, status: .true), now: now)
        }
        let previous = status.containerStatuses ?? []
        status.containerStatuses = pod.spec.containers.map { container in
            var containerStatus = ContainerStatus(name: container.name, image: container.image ?? "", ready: true,
                restartCount: previous.first { $0.name == container.name }?.restartCount ?? 0,
                state: ["running": ["startedAt": .string(now.description)]])
            containerStatus.started = true
            containerStatus.imageID = "sim.flotilla.io/\(container.image ?? "")"
            containerStatus.containerID = "flotilla-sim://\(uid.prefix(8))-\(container.name)"
            containerStatus.lastState = previous.first { $0.name == container.name }?.lastState
            return containerStatus
        }
        started.status = status
        if listenPort != nil, started.metadata.finalizers?.contains(Self.drainFinalizer) != true {
            started.metadata.finalizers = (started.metadata.finalizers ?? []) + [Self.drainFinalizer]
        }
        if let listenPort {
            started.metadata.annotations = (started.metadata.annotations ?? [:])
                .merging([EndpointsController.listenPortAnnotation: String(listenPort)]) { _, new in new }
        }
        return .update(Pod.descriptor.groupResource, started.json())
    }

    /// Reports a crash of every container of `pod`: not Ready, restart count up, the kubelet restarts it after
    /// the startup delay. Stops its workload.
    func crash(_ pod: Pod, now: Timestamp) async -> Pod {
        if let uid = pod.metadata.uid, let workload = running.removeValue(forKey: uid) { await workload.stop() }
        var crashed = pod
        var status = crashed.status ?? PodStatus(phase: "Running")
        status.setCondition(PodCondition(type: "ContainersReady", status: .false, reason: "ContainersNotReady",
            message: "containers with unready status: [\(pod.spec.containers.map(\.name).joined(separator: " "))]"), now: now)
        status.setCondition(PodCondition(type: "Ready", status: .false, reason: "ContainersNotReady",
            message: "containers with unready status: [\(pod.spec.containers.map(\.name).joined(separator: " "))]"), now: now)
        status.containerStatuses = (status.containerStatuses ?? []).map { container in
            var container = container
            container.ready = false
            container.started = false
            container.restartCount += 1
            container.lastState = ["terminated": ["exitCode": 137, "reason": "Error", "finishedAt": .string(now.description)]]
            container.state = ["waiting": ["reason": "CrashLoopBackOff", "message": "back-off restarting failed container"]]
            return container
        }
        crashed.status = status
        return crashed
    }

    /// How long a pod that runs to completion runs: `sim.flotilla.io/run-seconds` (default 1).
    static let runSecondsAnnotation = "sim.flotilla.io/run-seconds"
    /// The exit code its containers finish with: `sim.flotilla.io/exit-code` (default 0: Succeeded; else Failed).
    static let exitCodeAnnotation = "sim.flotilla.io/exit-code"

    static func runTime(of pod: Pod) -> Duration {
        let seconds = pod.metadata.annotations?[runSecondsAnnotation].flatMap(Double.init) ?? 1
        return .milliseconds(Int64(max(seconds, 0) * 1000))
    }

    /// The pod with its containers terminated: Succeeded on exit code 0, Failed otherwise.
    static func finished(_ pod: Pod, now: Timestamp) -> SiteAction {
        let code = pod.metadata.annotations?[exitCodeAnnotation].flatMap(Int64.init) ?? 0
        var done = pod
        var status = done.status ?? PodStatus(phase: "Running")
        status.phase = code == 0 ? "Succeeded" : "Failed"
        let reason = code == 0 ? "PodCompleted" : "PodFailed"
        status.setCondition(PodCondition(type: "Ready", status: .false, reason: reason), now: now)
        status.setCondition(PodCondition(type: "ContainersReady", status: .false, reason: reason), now: now)
        status.containerStatuses = (status.containerStatuses ?? []).map { container in
            var container = container
            container.ready = false
            container.started = false
            container.state = ["terminated": ["exitCode": .integer(code), "reason": .string(code == 0 ? "Completed" : "Error"),
                                              "finishedAt": .string(now.description)]]
            return container
        }
        done.status = status
        return .update(Pod.descriptor.groupResource, done.json())
    }

    static func failedToStart(_ pod: Pod, message: String, now: Timestamp) -> SiteAction {
        var failed = pod
        var status = failed.status ?? PodStatus(phase: "Pending")
        status.containerStatuses = pod.spec.containers.map { container in
            ContainerStatus(name: container.name, image: container.image ?? "", ready: false, restartCount: 0,
                state: ["waiting": ["reason": "RunContainerError", "message": .string(message)]])
        }
        failed.status = status
        return .update(Pod.descriptor.groupResource, failed.json())
    }

    /// The usage the pod's running workload reports, if it runs one that models its usage.
    func usage(ofPod uid: String) -> WorkloadUsage? { running[uid]?.usage }

    /// The loopback port of the pod's running workload (where its `/metrics` is scraped).
    func port(ofPod uid: String) -> Int? { running[uid]?.port }

    func stopAll() async {
        let workloads = running.values
        running.removeAll()
        for workload in workloads { await workload.stop() }
    }

    private func jitter() -> Duration {
        let nanos = configuration.jitter.components.seconds * 1_000_000_000 + configuration.jitter.components.attoseconds / 1_000_000_000
        guard nanos > 0 else { return .zero }
        return .nanoseconds(Int64(random.next() % UInt64(nanos + 1)))
    }

    /// A simulated pod address in 10.<site>.0.0/16.
    private func allocateAddress() -> String {
        nextAddress += 1
        return "10.\(subnet).\(nextAddress / 250 % 256).\(nextAddress % 250 + 1)"
    }
}

/// A small seeded generator (SplitMix64): the site's jitter is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
