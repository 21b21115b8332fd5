import ArgumentParser
import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaStore
import Foundation
import KubeClient

/// `flotilla bench failover`: a site loses power; how long until every replica it ran is Ready on other sites. The
/// sites are in-process (named as such) and reached only over HTTPS through KubeClient; the federation runs with
/// `flotilla serve`'s failover defaults (eviction rate, purge mode) and a ClusterTaintPolicy that adds
/// `cluster.karmada.io/not-ready:NoExecute` when Ready is not True. Times come from watches on the stores, so no
/// polling interval hides in them. The figure excludes detection (health checks until the taint) and the policy's
/// toleration, both printed beside it.
struct FailoverBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Failover: from a site's power cut to all of its replicas Ready elsewhere, with N sites and D Deployments.")

    @Option(help: "Member sites (in-process, reached over HTTPS).")
    var sites = 20

    @Option(help: "Deployments, each Divided (dynamic weight) over three neighbouring sites, 4 replicas.")
    var deployments = 200

    @Option(help: "The policies' NoExecute tolerationSeconds (waited after detection; excluded from the figure).")
    var tolerationSeconds = 0

    @Option(help: "Seconds between member health probes.")
    var statusInterval: Double = 0.5

    @Option(help: "Seconds a member must fail before it is NotReady.")
    var failureThreshold: Double = 1

    func validate() throws {
        guard sites >= 3, deployments > 0, tolerationSeconds >= 0, statusInterval > 0, failureThreshold >= 0 else {
            throw ValidationError("need at least 3 sites, one Deployment, and non-negative times")
        }
    }

    func run() async throws {
        func progress(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }
        let status = ClusterStatusConfiguration(interval: .milliseconds(Int64(statusInterval * 1000)),
            failureThreshold: .milliseconds(Int64(failureThreshold * 1000)), probeTimeout: .milliseconds(Int64(min(3, max(statusInterval, failureThreshold)) * 1000)))
        let failover = FailoverConfiguration()
        let bench = try await BenchFederation.start("failover", sites: sites, kubelet: .immediate,
            configuration: Federation.Configuration(clusterStatus: status, failover: failover))
        let controlPlane = bench.controlPlane, host = bench.host, store = bench.store
        let names = host.sites.map(\.name)
        _ = try await controlPlane.create(ClusterTaintPolicy(metadata: ObjectMeta(name: "not-ready-evicts"), spec: ClusterTaintPolicySpec(
            addOnConditions: [MatchCondition(conditionType: "Ready", operator: "NotIn", statusValues: ["True"])],
            removeOnConditions: [MatchCondition(conditionType: "Ready", operator: "In", statusValues: ["True"])],
            taints: [PolicyTaint(key: ClusterStatusController.notReadyTaint, effect: "NoExecute")])))
        // Group g runs on sites g, g+1, g+2 (wrapping): every site serves three groups' Deployments.
        for group in 0..<sites {
            let targets = (0..<3).map { names[(group + $0) % sites] }
            var placement = Placement(clusterAffinity: ClusterAffinity(clusterNames: targets), clusterTolerations: [
                Toleration(key: ClusterStatusController.notReadyTaint, operator: "Exists", effect: "NoExecute", tolerationSeconds: Int64(tolerationSeconds))])
            var weights = ReplicaSchedulingStrategy(replicaSchedulingType: "Divided", replicaDivisionPreference: "Weighted")
            weights.weightPreference = ClusterPreferences(dynamicWeight: "AvailableReplicas")
            placement.replicaScheduling = weights
            var spec = PropagationSpec(resourceSelectors: [ResourceSelector(apiVersion: "apps/v1", kind: "Deployment",
                labelSelector: LabelSelector(matchLabels: ["group": "g\(group)"]))], placement: placement)
            spec.failover = FailoverBehavior(cluster: ClusterFailoverBehavior(purgeMode: failover.defaultPurgeMode))
            _ = try await controlPlane.create(PropagationPolicy(metadata: ObjectMeta(name: "g\(group)", namespace: "default"), spec: spec))
        }
        for index in 0..<deployments {
            var deployment = FederationBench.deployment("app-\(index)", site: "")
            deployment.setValue(["group": .string("g\(index % sites)")], at: ["metadata", "labels"])
            deployment.setValue(4, at: ["spec", "replicas"])
            _ = try await controlPlane.create(Deployment.descriptor, deployment)
        }
        try await waitUntil("\(deployments) Deployments Ready", seconds: 300) {
            try await controlPlane.list(Deployment.descriptor, namespace: "default", options: .everything).items
                .filter(FederationBench.isReady).count == deployments
        }
        // The victim: the first site. Its Deployments are the ones whose bindings list it.
        let victim = names[0]
        let bindings = try await controlPlane.list(ResourceBinding.descriptor, namespace: "default", options: .everything).items
            .compactMap { try? ResourceBinding(json: $0) }
        let affected = bindings.filter { ($0.spec.clusters ?? []).contains { $0.name == victim } }.compactMap(\.spec.resource.name)
        let onVictim = bindings.reduce(0) { $0 + Int($1.spec.clusters?.first { $0.name == victim }?.replicas ?? 0) }
        progress("\(deployments) Deployments Ready; \(victim) runs \(onVictim) replicas of \(affected.count) of them")

        let recorder = FailoverRecorder(affected: Set(affected), replicas: 4)
        var watches: [Task<Void, Never>] = []
        for site in host.sites where site.name != victim {
            // What each survivor runs already, then every change from that revision on.
            let listed = try await site.store.list(Deployment.descriptor.groupResource, options: ListOptions())
            let name = site.name
            for deployment in listed.items {
                await recorder.observe(site: name, deployment: deployment.name ?? "", ready: deployment["status"]?["readyReplicas"]?.int64Value ?? 0)
            }
            let events = try await site.store.watch(Deployment.descriptor.groupResource,
                options: WatchOptions(resourceVersion: Int64(listed.resourceVersion) ?? 0))
            watches.append(Task {
                for await event in events {
                    await recorder.observe(site: name, deployment: event.object.name ?? "",
                                           ready: event.type == .deleted ? 0 : event.object["status"]?["readyReplicas"]?.int64Value ?? 0)
                }
            })
        }
        let clusters = try await store.watch(Cluster.descriptor.groupResource, options: WatchOptions(resourceVersion: await store.currentRevision()))
        watches.append(Task {
            for await event in clusters where event.object.name == victim {
                let taints = event.object["spec"]?["taints"]?.arrayValue ?? []
                if taints.contains(where: { $0["effect"]?.stringValue == "NoExecute" }) { await recorder.markTainted() }
            }
        })
        try await Task.sleep(for: .seconds(1))
        let cpuBefore = processCPUSeconds()
        let cut = ContinuousClock.now
        await host.site(named: victim)?.down()
        do {
            try await waitUntil("every replica of \(victim) Ready elsewhere", seconds: 120) { await recorder.done }
        } catch {
            // Say where the chain stopped.
            let cluster = try? await controlPlane.get(Cluster.descriptor, namespace: nil, name: victim)
            progress("\(victim): taints \(cluster?["spec"]?["taints"]?.serializedString() ?? "none"), conditions \(cluster?["status"]?["conditions"]?.serializedString() ?? "none")")
            let waiting = await recorder.waiting
            progress("\(waiting.count) Deployments not yet Ready elsewhere: \(waiting.prefix(5).sorted())")
            if let first = waiting.first, let binding = try? await controlPlane.get(ResourceBinding.descriptor, namespace: "default", name: "\(first)-deployment") {
                progress("binding \(first): spec \(binding["spec"]?.serializedString().prefix(1500) ?? ""), status \(binding["status"]?.serializedString().prefix(1500) ?? "")")
            }
            throw error
        }
        let cpu = processCPUSeconds() - cpuBefore
        let tainted = await recorder.tainted ?? cut
        var afterDetection = LatencySamples(), total = LatencySamples()
        for instant in await recorder.readyElsewhere.values {
            afterDetection.add(instant - tainted - .seconds(tolerationSeconds))
            total.add(instant - cut)
        }
        for watch in watches { watch.cancel() }
        await bench.stop()

        let detection = seconds(tainted - cut) * 1000
        printResults("flotilla bench failover --sites \(sites) --deployments \(deployments) (in-process sites over HTTPS, SQLite store)", [
            BenchResult(name: "detection: power cut → NoExecute taint (status every \(format(statusInterval, 1)) s, failure threshold \(format(failureThreshold, 1)) s)",
                value: "\(format(detection)) ms", target: "-", met: nil),
            BenchResult(name: "toleration (policy's tolerationSeconds, waited after detection)", value: "\(tolerationSeconds) s", target: "-", met: nil),
            BenchResult(name: "taint + toleration → all replicas Ready elsewhere, p50 / p99 / max (\(affected.count) Deployments, \(onVictim) replicas)",
                value: "\(format(afterDetection.percentile(50))) / \(format(afterDetection.percentile(99))) / \(format(afterDetection.percentile(100))) ms",
                target: "p99 ≤ 2000 ms", met: afterDetection.percentile(99) <= 2000),
            BenchResult(name: "power cut → all replicas Ready elsewhere, p50 / p99", value:
                "\(format(total.percentile(50))) / \(format(total.percentile(99))) ms", target: "-", met: nil),
            BenchResult(name: "process CPU from the cut to the last replica Ready", value: "\(format(cpu, 2)) s", target: "-", met: nil),
            BenchResult(name: "eviction rate limit, purge mode", value: "\(format(failover.evictionRate))/s, \(failover.defaultPurgeMode)", target: "-", met: nil),
        ])
    }
}

/// Ready replicas per Deployment on the surviving sites, and when each affected Deployment first had all of them.
actor FailoverRecorder {
    let affected: Set<String>
    let replicas: Int64
    private var ready: [String: [String: Int64]] = [:]
    private(set) var readyElsewhere: [String: ContinuousClock.Instant] = [:]
    private(set) var tainted: ContinuousClock.Instant?

    init(affected: Set<String>, replicas: Int64) {
        self.affected = affected
        self.replicas = replicas
    }

    var done: Bool { readyElsewhere.count == affected.count }
    var waiting: [String] { affected.filter { readyElsewhere[$0] == nil } }

    func markTainted() { if tainted == nil { tainted = .now } }

    func observe(site: String, deployment: String, ready count: Int64) {
        guard affected.contains(deployment) else { return }
        ready[deployment, default: [:]][site] = count
        if readyElsewhere[deployment] == nil, (ready[deployment] ?? [:]).values.reduce(0, +) >= replicas {
            readyElsewhere[deployment] = .now
        }
    }
}
