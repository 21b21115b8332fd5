import ArgumentParser
import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaStore
import Foundation
import KubeClient

/// `flotilla bench catalog`: provisioning through the service catalog at fleet scale. A control plane (SQLite, every
/// federation controller and the catalog controller, `flotilla serve`'s defaults) and N in-process sites reached over
/// HTTPS; the echo offering from manifests/catalog; I ServiceInstances created at once, instance k pinned to site
/// k mod N by its `clusters` parameter. Times come from a watch on the instances: from each create to its `Ready`
/// condition (every Deployment Ready on its member, as the control plane sees it), then from each delete to the
/// instance gone (its workload deleted from the member first).
struct CatalogBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Service catalog: provision-to-Ready and deprovision latency for many instances at once over N sites.")

    @Option(help: "Member sites (in-process, reached over HTTPS).")
    var sites = 20

    @Option(help: "ServiceInstances created at once.")
    var instances = 100

    @Option(help: "The offering to provision (a ServiceOffering file).")
    var offering = "manifests/catalog/echo.yaml"

    func validate() throws {
        guard sites > 0, instances > 0 else { throw ValidationError("sites and instances must be positive") }
    }

    func run() async throws {
        func progress(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }
        guard let document = try ManifestLoader.load([offering]).first?.value, document.kind == ServiceOffering.descriptor.kind,
            let offeringName = document.name else {
            throw ValidationError("\(offering) holds no ServiceOffering (run from the repository's root, or pass --offering)")
        }
        let bench = try await BenchFederation.start("catalog", sites: sites, kubelet: .immediate)
        let controlPlane = bench.controlPlane, store = bench.store, names = bench.host.sites.map(\.name)
        progress("\(sites) clusters joined and Ready")
        _ = try await controlPlane.create(ServiceOffering.descriptor, document)
        let plan = try ServiceOffering(json: document).spec.plans[0].name

        let recorder = CatalogRecorder()
        let events = try await store.watch(ServiceInstance.descriptor.groupResource, options: WatchOptions(resourceVersion: await store.currentRevision()))
        let watcher = Task {
            for await event in events {
                let name = event.object.name ?? ""
                if event.type == .deleted { await recorder.gone(name); continue }
                let ready = (event.object["status"]?["conditions"]?.arrayValue ?? []).contains {
                    $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
                }
                if ready { await recorder.ready(name) }
            }
        }
        let deployments = try await store.watch(Deployment.descriptor.groupResource, options: WatchOptions(resourceVersion: await store.currentRevision()))
        let templateWatcher = Task {
            for await event in deployments where event.type == .added { await recorder.rendered(event.object.name ?? "") }
        }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<instances {
                group.addTask {
                    let name = "bench-\(index)"
                    let instance = ServiceInstance(metadata: ObjectMeta(name: name, namespace: "default"),
                        spec: ServiceInstanceSpec(offeringName: offeringName, planName: plan, parameters: ["clusters": [.string(names[index % names.count])]]))
                    await recorder.created(name)
                    _ = try await controlPlane.create(instance)
                }
            }
            try await group.waitForAll()
        }
        try await waitUntil("\(instances) instances Ready", seconds: 300, every: .milliseconds(20)) { await recorder.readyCount == instances }
        let provisionAll = ContinuousClock.now - started
        let provision = await recorder.provisionLatencies()
        let rendered = await recorder.renderLatencies()
        progress("\(instances) instances Ready after \(format(seconds(provisionAll), 1)) s")

        let deleting = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<instances {
                group.addTask {
                    await recorder.deleting("bench-\(index)")
                    try await controlPlane.delete(ServiceInstance.descriptor, namespace: "default", name: "bench-\(index)")
                }
            }
            try await group.waitForAll()
        }
        try await waitUntil("\(instances) instances gone", seconds: 300, every: .milliseconds(20)) { await recorder.goneCount == instances }
        let deprovisionAll = ContinuousClock.now - deleting
        let deprovision = await recorder.deprovisionLatencies()
        var leftOnMembers = 0
        for site in bench.host.sites {
            leftOnMembers += try await site.store.list(Deployment.descriptor.groupResource, options: ListOptions()).items.count
        }
        watcher.cancel()
        templateWatcher.cancel()
        await bench.stop()

        printResults("flotilla bench catalog --sites \(sites) --instances \(instances) (offering \(offeringName))", [
            BenchResult(name: "create → instance Ready (workload Ready on its member), p50 / p99 (\(instances) at once)",
                value: "\(format(provision.percentile(50))) / \(format(provision.percentile(99))) ms", target: "-", met: nil),
            BenchResult(name: "of which create → its Deployment on the control plane (the catalog controller), p50 / p99",
                value: "\(format(rendered.percentile(50))) / \(format(rendered.percentile(99))) ms", target: "-", met: nil),
            BenchResult(name: "all \(instances) Ready", value: "\(format(seconds(provisionAll), 1)) s", target: "-", met: nil),
            BenchResult(name: "delete → instance gone (workload deleted from its member first), p50 / p99",
                value: "\(format(deprovision.percentile(50))) / \(format(deprovision.percentile(99))) ms", target: "-", met: nil),
            BenchResult(name: "all \(instances) gone; Deployments left on members", value: "\(format(seconds(deprovisionAll), 1)) s; \(leftOnMembers)",
                target: "0 left", met: leftOnMembers == 0),
        ])
    }
}

/// When each instance was created, Ready, deleted and gone.
actor CatalogRecorder {
    private var createdAt: [String: ContinuousClock.Instant] = [:]
    private var readyAt: [String: ContinuousClock.Instant] = [:]
    private var deletingAt: [String: ContinuousClock.Instant] = [:]
    private var goneAt: [String: ContinuousClock.Instant] = [:]
    private var renderedAt: [String: ContinuousClock.Instant] = [:]

    func rendered(_ name: String) { if renderedAt[name] == nil { renderedAt[name] = .now } }

    func renderLatencies() -> LatencySamples {
        var samples = LatencySamples()
        for (name, at) in renderedAt { if let created = createdAt[name] { samples.add(at - created) } }
        return samples
    }

    func created(_ name: String) { createdAt[name] = .now }
    func ready(_ name: String) { if readyAt[name] == nil { readyAt[name] = .now } }
    func deleting(_ name: String) { deletingAt[name] = .now }
    func gone(_ name: String) { if goneAt[name] == nil, deletingAt[name] != nil { goneAt[name] = .now } }
    var readyCount: Int { readyAt.count }
    var goneCount: Int { goneAt.count }

    func provisionLatencies() -> LatencySamples {
        var samples = LatencySamples()
        for (name, ready) in readyAt { if let created = createdAt[name] { samples.add(ready - created) } }
        return samples
    }

    func deprovisionLatencies() -> LatencySamples {
        var samples = LatencySamples()
        for (name, gone) in goneAt { if let deleting = deletingAt[name] { samples.add(gone - deleting) } }
        return samples
    }
}
