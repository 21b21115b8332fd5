import ArgumentParser
import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaStore
import Foundation
import KubeClient

/// `flotilla bench federation`: distribution latency, status convergence and idle cost of the federation
/// controllers with N member sites. The sites are in-process (named as such) but reached only over HTTPS through
/// KubeClient; timestamps come from watches on the stores involved, so no polling interval hides in the figures.
struct FederationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "federation",
        abstract: "Federation: template → member Deployment latency, status convergence, idle CPU with N clusters.")

    @Option(help: "Member sites (in-process, reached over HTTPS).")
    var sites = 100

    @Option(help: "Deployments created at once for the convergence measurement (spread evenly over the sites).")
    var deployments = 1000

    @Option(help: "Deployments created one at a time for the latency measurement.")
    var samples = 100

    @Option(help: "Seconds from a pod being bound to Ready on the sites (0: at once); longer than distribution takes, it measures convergence apart from the creation burst.")
    var startupDelay: Double = 0

    @Option(help: "Seconds of idle to measure CPU over.")
    var idleSeconds = 30

    @Option(help: "Of the sites, this many are Pull clusters: an agent in the bench's process registers each and applies its Works through the control plane's HTTPS API.")
    var pullSites = 0

    func validate() throws {
        guard sites > 0, deployments >= 0, samples > 0, idleSeconds > 0 else { throw ValidationError("all counts must be positive") }
        guard (0...sites).contains(pullSites) else { throw ValidationError("--pull-sites must be between 0 and --sites") }
    }

    func run() async throws {
        func progress(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }
        let bench = try await BenchFederation.start("federation", sites: sites, pullSites: pullSites,
            kubelet: startupDelay > 0 ? KubeletConfiguration(startupDelay: .milliseconds(Int64(startupDelay * 1000)), jitter: .seconds(2)) : .immediate)
        let controlPlane = bench.controlPlane, host = bench.host, store = bench.store
        progress("\(sites) clusters joined and Ready (\(pullSites) in Pull mode)")

        let recorder = Recorder()
        let watchers = try await startWatches(store: store, host: host, recorder: recorder)
        // One policy per site: templates labelled site=<name> go there (Duplicated, 2 replicas each).
        for site in host.sites {
            let policy: JSONValue = [
                "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
                "metadata": ["name": .string("to-\(site.name)"), "namespace": "default"],
                "spec": ["resourceSelectors": [["apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": ["matchLabels": ["site": .string(site.name)]]]],
                         "placement": ["clusterAffinity": ["clusterNames": [.string(site.name)]], "replicaScheduling": ["replicaSchedulingType": "Duplicated"]]],
            ]
            _ = try await controlPlane.create(PropagationPolicy.descriptor, policy)
        }

        // Latency: one Deployment at a time.
        var latency = LatencySamples()
        var pullLatency = LatencySamples()
        for index in 0..<samples {
            let site = host.sites[index % host.sites.count].name
            let name = "probe-\(index)"
            _ = try await controlPlane.create(Deployment.descriptor, Self.deployment(name, site: site))
            do {
                try await waitUntil("\(name) on \(site)", seconds: 30) { await recorder.memberCreated[name] != nil }
            } catch {
                // Say where the chain stopped.
                let binding = try? await controlPlane.get(ResourceBinding.descriptor, namespace: "default", name: "\(name)-deployment")
                let works = try? await controlPlane.list(Work.descriptor, namespace: nil, options: .everything)
                progress("binding: \(binding?.serializedString().prefix(2000) ?? "none")")
                progress("works in karmada-es-\(site): \(works?.items.filter { $0.namespace == "karmada-es-\(site)" }.count ?? 0)")
                throw error
            }
            if let scheduled = await recorder.scheduled["\(name)-deployment"], let created = await recorder.memberCreated[name] {
                if bench.pull.contains(site) { pullLatency.add(created - scheduled) } else { latency.add(created - scheduled) }
            }
        }
        progress("latency p50 \(format(latency.percentile(50), 1)) ms, p99 \(format(latency.percentile(99), 1)) ms")

        // Convergence: many at once.
        let bulkStart = ContinuousClock.now
        for index in 0..<deployments {
            let site = host.sites[index % host.sites.count].name
            _ = try await controlPlane.create(Deployment.descriptor, Self.deployment("app-\(index)", site: site))
        }
        try await waitUntil("\(deployments) templates Ready on the control plane", seconds: 300) {
            await recorder.controlPlaneReadyCount(prefix: "app-") == deployments
        }
        let bulkTime = ContinuousClock.now - bulkStart
        var convergence = LatencySamples()
        var bulkLatency = LatencySamples()
        var pullBulkLatency = LatencySamples()
        // The same path in its three hops, to say where a slow one waited. Each hop's end is seen by its own watch task,
        // so a hop of a few milliseconds can read slightly negative.
        var hops = (work: LatencySamples(), binding: LatencySamples(), template: LatencySamples())
        for index in 0..<deployments {
            let name = "app-\(index)"
            if let member = await recorder.memberReady[name], let plane = await recorder.controlPlaneReady[name] {
                convergence.add(plane - member)
                if let work = await recorder.workReady[name], let binding = await recorder.bindingReady["\(name)-deployment"] {
                    hops.work.add(work - member)
                    hops.binding.add(binding - work)
                    hops.template.add(plane - binding)
                }
            }
            if let scheduled = await recorder.scheduled["\(name)-deployment"], let created = await recorder.memberCreated[name] {
                if bench.pull.contains(host.sites[index % host.sites.count].name) {
                    pullBulkLatency.add(created - scheduled)
                } else {
                    bulkLatency.add(created - scheduled)
                }
            }
        }
        progress("\(deployments) deployments Ready everywhere after \(format(seconds(bulkTime), 1)) s")
        for (hop, samples) in [("member → Work status", hops.work), ("Work → binding aggregate", hops.binding), ("binding → template", hops.template)] {
            progress("\(hop): p50 \(format(samples.percentile(50), 0)) / p99 \(format(samples.percentile(99), 0)) / max \(format(samples.percentile(100), 0)) ms")
        }

        // Idle: nothing changes; the controllers only probe members.
        try await Task.sleep(for: .seconds(3))
        let cpuBefore = processCPUSeconds()
        let idleStart = ContinuousClock.now
        try await Task.sleep(for: .seconds(idleSeconds))
        let idleCPU = (processCPUSeconds() - cpuBefore) / seconds(ContinuousClock.now - idleStart) * 100
        let rss = residentMemoryMB()
        for watcher in watchers { watcher.cancel() }
        await bench.stop()

        printResults("flotilla bench federation --sites \(sites) --deployments \(deployments)", [
            BenchResult(name: "scheduled → Deployment exists in the member, one at a time, p50 / p99 (\(latency.values.count)\(pullSites > 0 ? ", Push sites" : ""))",
                value: "\(format(latency.percentile(50), 1)) / \(format(latency.percentile(99), 1)) ms", target: "p99 ≤ 100 ms",
                met: latency.percentile(99) <= 100),
            BenchResult(name: "same, \(deployments) created at once, p50 / p99", value:
                "\(format(bulkLatency.percentile(50), 0)) / \(format(bulkLatency.percentile(99), 0)) ms", target: "-", met: nil),
        ] + (pullSites == 0 ? [] : [
            BenchResult(name: "  the same through Pull sites' agents, one at a time, p50 / p99 (\(pullLatency.values.count))",
                value: "\(format(pullLatency.percentile(50), 1)) / \(format(pullLatency.percentile(99), 1)) ms", target: "-", met: nil),
            BenchResult(name: "  the same through Pull sites' agents, \(deployments) at once, p50 / p99", value:
                "\(format(pullBulkLatency.percentile(50), 0)) / \(format(pullBulkLatency.percentile(99), 0)) ms", target: "-", met: nil),
        ]) + [
            BenchResult(name: "member Ready → control-plane template Ready, p50 / p99 / max", value:
                "\(format(convergence.percentile(50), 0)) / \(format(convergence.percentile(99), 0)) / \(format(convergence.percentile(100), 0)) ms",
                target: "≤ 2000 ms", met: convergence.percentile(100) <= 2000),
            BenchResult(name: "\(deployments) templates → all Ready on the control plane", value: "\(format(seconds(bulkTime), 1)) s", target: "-", met: nil),
            BenchResult(name: "process CPU while idle (controllers + \(sites) in-process sites)", value: "\(format(idleCPU, 1)) % of one core",
                target: "≤ 5 %", met: idleCPU <= 5),
            BenchResult(name: "RSS (control plane + sites)", value: "\(format(rss)) MB", target: "-", met: nil),
        ])
    }

    static func deployment(_ name: String, site: String) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": ["name": .string(name), "namespace": "default", "labels": ["site": .string(site)]],
         "spec": ["replicas": 2, "selector": ["matchLabels": ["app": .string(name)]],
                  "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [[
                      "name": "main", "image": "nginx:1.25", "resources": ["requests": ["cpu": "10m", "memory": "16Mi"]]]]]]]]
    }

    func startWatches(store: any Store, host: SiteHost, recorder: Recorder) async throws -> [Task<Void, Never>] {
        var tasks: [Task<Void, Never>] = []
        let bindings = try await store.watch(ResourceBinding.descriptor.groupResource, options: WatchOptions(resourceVersion: await store.currentRevision()))
        tasks.append(Task {
            for await event in bindings {
                let clusters = event.object["spec"]?["clusters"]?.arrayValue ?? []
                guard !clusters.isEmpty else { continue }
                await recorder.markScheduled(event.object.name ?? "")
                let items = event.object["status"]?["aggregatedStatus"]?.arrayValue ?? []
                let wanted = clusters.reduce(0) { $0 + ($1["replicas"]?.int64Value ?? 0) }
                let ready = items.reduce(0) { $0 + ($1["status"]?["readyReplicas"]?.int64Value ?? 0) }
                if !items.isEmpty, ready == wanted { await recorder.markBindingReady(event.object.name ?? "") }
            }
        })
        let works = try await store.watch(Work.descriptor.groupResource, options: WatchOptions(resourceVersion: await store.currentRevision()))
        tasks.append(Task {
            for await event in works {
                guard let manifest = event.object["spec"]?["workload"]?["manifests"]?.arrayValue?.first,
                      let status = event.object["status"]?["manifestStatuses"]?.arrayValue?.first?["status"] else { continue }
                if status["readyReplicas"]?.int64Value == (manifest["spec"]?["replicas"]?.int64Value ?? 1) {
                    await recorder.markWorkReady(manifest.name ?? "")
                }
            }
        })
        let templates = try await store.watch(Deployment.descriptor.groupResource, options: WatchOptions(resourceVersion: await store.currentRevision()))
        tasks.append(Task {
            for await event in templates where Self.isReady(event.object) { await recorder.markControlPlaneReady(event.object.name ?? "") }
        })
        for site in host.sites {
            let members = try await site.store.watch(Deployment.descriptor.groupResource,
                options: WatchOptions(resourceVersion: await site.store.currentRevision()))
            tasks.append(Task {
                for await event in members {
                    if event.type == .added { await recorder.markMemberCreated(event.object.name ?? "") }
                    if Self.isReady(event.object) { await recorder.markMemberReady(event.object.name ?? "") }
                }
            })
        }
        return tasks
    }

    static func isReady(_ deployment: JSONValue) -> Bool {
        let wanted = deployment["spec"]?["replicas"]?.int64Value ?? 1
        return deployment["status"]?["readyReplicas"]?.int64Value == wanted
    }
}

/// First time each thing was seen, by object name.
actor Recorder {
    private(set) var scheduled: [String: ContinuousClock.Instant] = [:]
    private(set) var memberCreated: [String: ContinuousClock.Instant] = [:]
    private(set) var memberReady: [String: ContinuousClock.Instant] = [:]
    private(set) var controlPlaneReady: [String: ContinuousClock.Instant] = [:]
    private(set) var workReady: [String: ContinuousClock.Instant] = [:]
    private(set) var bindingReady: [String: ContinuousClock.Instant] = [:]

    func markScheduled(_ name: String) { if scheduled[name] == nil { scheduled[name] = .now } }
    func markMemberCreated(_ name: String) { if memberCreated[name] == nil { memberCreated[name] = .now } }
    func markMemberReady(_ name: String) { if memberReady[name] == nil { memberReady[name] = .now } }
    func markControlPlaneReady(_ name: String) { if controlPlaneReady[name] == nil { controlPlaneReady[name] = .now } }
    func markWorkReady(_ name: String) { if workReady[name] == nil { workReady[name] = .now } }
    func markBindingReady(_ name: String) { if bindingReady[name] == nil { bindingReady[name] = .now } }

    func controlPlaneReadyCount(prefix: String) -> Int { controlPlaneReady.keys.filter { $0.hasPrefix(prefix) }.count }
}
