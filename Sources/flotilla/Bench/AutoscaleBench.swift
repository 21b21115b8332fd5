import ArgumentParser
import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaStore
import Foundation
import KubeClient

/// `flotilla bench autoscale`: a FederatedHPA (min 2, max 8, CPU at 50 % of a 200m request) over a Deployment
/// divided among three in-process sites. Each step sets every pod's usage to 400m (the metric crosses the target at
/// that instant), then back to 10m. Measured on the service path: the controller's own sync reading the
/// members' metrics.k8s.io over HTTPS (every half second), its write of the template's replicas (seen through a watch on the control
/// plane's store), and the members' pods becoming Ready. Also the cost of one gathering of every site's PodMetrics
/// through the control plane's metrics API (`MemberMetrics`, what `kubectl top pods` there does).
struct AutoscaleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoscale",
        abstract: "Autoscaling: decision latency from a load step to the new replica count written, to new replicas Ready, and metrics collection over N sites.")

    @Option(help: "Member sites (in-process, reached over HTTPS); the workload runs on three, metrics are gathered from all.")
    var sites = 10

    @Option(help: "Load steps (each one up and one down).")
    var steps = 5

    @Option(help: "Pods per site that idle beside the workload (what metrics collection has to gather).")
    var podsPerSite = 10

    @Option(help: "Seconds from bound to Running and Ready on the sites.")
    var startupDelay: Double = 1

    func validate() throws {
        guard sites >= 3, steps > 0, podsPerSite >= 0, startupDelay >= 0 else { throw ValidationError("need at least 3 sites and one step") }
    }

    func run() async throws {
        func progress(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }
        let bench = try await BenchFederation.start("autoscale", sites: sites,
            kubelet: KubeletConfiguration(startupDelay: .milliseconds(Int64(startupDelay * 1000)), jitter: .zero))
        let controlPlane = bench.controlPlane, host = bench.host, store = bench.store
        let names = host.sites.map(\.name), targets = Array(names.prefix(3))
        // Idle pods on every site: the collection figure gathers them.
        for name in names where podsPerSite > 0 {
            var filler = FederationBench.deployment("idle", site: name)
            filler.setValue(.integer(Int64(podsPerSite)), at: ["spec", "replicas"])
            _ = try await host.site(named: name)?.store.create(Deployment.descriptor.groupResource, try Deployment.admit(filler).get(), options: .none)
        }
        var placement = Placement(clusterAffinity: ClusterAffinity(clusterNames: targets))
        var weights = ReplicaSchedulingStrategy(replicaSchedulingType: "Divided", replicaDivisionPreference: "Weighted")
        weights.weightPreference = ClusterPreferences(dynamicWeight: "AvailableReplicas")
        placement.replicaScheduling = weights
        _ = try await controlPlane.create(PropagationPolicy(metadata: ObjectMeta(name: "load", namespace: "default"),
            spec: PropagationSpec(resourceSelectors: [ResourceSelector(apiVersion: "apps/v1", kind: "Deployment", name: "load")], placement: placement)))
        var deployment = FederationBench.deployment("load", site: "")
        deployment.setValue(2, at: ["spec", "replicas"])
        var containers = deployment.value(at: ["spec", "template", "spec", "containers"])?.arrayValue ?? []
        if containers.isEmpty { containers = [["name": "main", "image": "nginx:1"]] }
        containers[0].setValue(["cpu": "200m"], at: ["resources", "requests"])
        deployment.setValue(.array(containers), at: ["spec", "template", "spec", "containers"])
        _ = try await controlPlane.create(Deployment.descriptor, deployment)
        var autoscaler = FederatedHPA(metadata: ObjectMeta(name: "load", namespace: "default"), spec: FederatedHPASpec(
            scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "load"), minReplicas: 2, maxReplicas: 8,
            metrics: [MetricSpec(type: "Resource", resource: ResourceMetricSource(name: "cpu", target: MetricTarget(type: "Utilization", averageUtilization: 50)))]))
        var behavior = HorizontalPodAutoscalerBehavior()
        behavior.scaleUp = HPAScalingRules(stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [HPAScalingPolicy(type: "Percent", value: 1000, periodSeconds: 1)])
        behavior.scaleDown = HPAScalingRules(stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 1)])
        autoscaler.spec.behavior = behavior
        _ = try await controlPlane.create(autoscaler)

        // The template's replicas as the autoscaler writes them, with when.
        let recorder = ReplicaRecorder()
        let watch = try await store.watch(Deployment.descriptor.groupResource, options: WatchOptions(resourceVersion: await store.currentRevision()))
        let watching = Task {
            for await event in watch where event.object.name == "load" {
                await recorder.saw(event.object.value(at: ["spec", "replicas"])?.int64Value ?? 0)
            }
        }
        func ready() async -> Int64 {
            var total: Int64 = 0
            for name in targets {
                let object = try? await host.site(named: name)?.store.get(Deployment.descriptor.groupResource, namespace: "default", name: "load")
                total += object?["status"]?["readyReplicas"]?.int64Value ?? 0
            }
            return total
        }
        func setUsage(_ cpu: String) async throws {
            for name in targets {
                guard let site = host.site(named: name) else { continue }
                let pods = try await site.store.list(Pod.descriptor.groupResource, options: ListOptions(filter: ObjectFilter(namespace: "default"))).items
                for pod in pods where pod.labels["app"] == "load" {
                    await site.setUsage(namespace: "default", pod: pod.name ?? "", usage: WorkloadUsage(cpu: try Quantity(parsing: cpu), memory: try Quantity(parsing: "32Mi")))
                }
            }
        }
        try await waitUntil("two replicas Ready", seconds: 120) { await ready() == 2 }
        try await waitUntil("the autoscaler active", seconds: 30) {
            (try? FederatedHPA(json: try await controlPlane.get(FederatedHPA.descriptor, namespace: "default", name: "load")))?
                .status?.conditions?.contains { $0.type == "ScalingActive" && $0.status == .true } ?? false
        }
        var upDecision = LatencySamples(), downDecision = LatencySamples(), upReady = LatencySamples()
        for step in 0..<steps {
            let crossed = ContinuousClock.now
            try await setUsage("400m")
            try await waitUntil("8 replicas written", seconds: 30) { await recorder.last == 8 }
            upDecision.add((await recorder.when(8) ?? .now) - crossed)
            try await waitUntil("8 replicas Ready", seconds: 120) { await ready() == 8 }
            upReady.add(ContinuousClock.now - crossed)
            let dropped = ContinuousClock.now
            try await setUsage("10m")
            try await waitUntil("2 replicas written", seconds: 30) { await recorder.last == 2 }
            downDecision.add((await recorder.when(2) ?? .now) - dropped)
            try await waitUntil("back to 2 Ready", seconds: 60) { await ready() == 2 }
            progress("step \(step + 1)/\(steps) done")
        }
        watching.cancel()

        // Metrics collection: the control plane's metrics.k8s.io over every site, as kubectl top asks for it.
        let source = bench.federation.metricsSource
        var collection = LatencySamples()
        var items = 0
        for _ in 0..<20 {
            let started = ContinuousClock.now
            items = try await source.objects(PodMetrics.descriptor.groupResource, namespace: nil).count
            collection.add(ContinuousClock.now - started)
        }
        await bench.stop()

        printResults("flotilla bench autoscale --sites \(sites) --steps \(steps) --pods-per-site \(podsPerSite) (in-process sites over HTTPS, SQLite store, 0.5 s sync)", [
            BenchResult(name: "decision latency: load step → 8 replicas written, p50 / p99 / max", value:
                "\(format(upDecision.percentile(50))) / \(format(upDecision.percentile(99))) / \(format(upDecision.percentile(100))) ms",
                target: "p99 ≤ 1000 ms", met: upDecision.percentile(99) <= 1000),
            BenchResult(name: "decision latency: load drop → 2 replicas written, p50 / p99", value:
                "\(format(downDecision.percentile(50))) / \(format(downDecision.percentile(99))) ms", target: "p99 ≤ 1000 ms", met: downDecision.percentile(99) <= 1000),
            BenchResult(name: "load step → 8 replicas Ready on the sites (startup \(format(startupDelay, 1)) s), p50 / p99", value:
                "\(format(upReady.percentile(50))) / \(format(upReady.percentile(99))) ms", target: "-", met: nil),
            BenchResult(name: "metrics collection: every site's PodMetrics (\(items) pods on \(sites) sites), p50 / p99", value:
                "\(format(collection.percentile(50), 1)) / \(format(collection.percentile(99), 1)) ms", target: "-", met: nil),
            BenchResult(name: "Karmada's and Kubernetes' HPA sync period (for comparison, not measured)", value: "15 s", target: "-", met: nil),
        ])
    }
}

/// The replica counts the template went through, each with when it was first written.
actor ReplicaRecorder {
    private(set) var last: Int64 = 0
    private var seen: [(Int64, ContinuousClock.Instant)] = []

    func saw(_ replicas: Int64) {
        guard replicas != last else { return }
        last = replicas
        seen.append((replicas, .now))
    }

    /// When the template last became `replicas`.
    func when(_ replicas: Int64) -> ContinuousClock.Instant? { seen.last { $0.0 == replicas }?.1 }
}
