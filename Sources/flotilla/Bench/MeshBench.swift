import ArgumentParser
import AsyncHTTPClient
import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaStore
import Foundation
import KubeClient
import NIOSSL

/// `flotilla bench mesh`: cross-edge service routing at N sites. A control plane (SQLite, the federation controllers
/// with their default thresholds) and N in-process sites reached over HTTPS; Service `web` on every site, its echo
/// replicas on one or two providers, and a MultiClusterService importing their endpoints into every site. Times come
/// from watches on the site stores, so no polling interval hides in them.
struct MeshBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mesh",
        abstract: "Service routing: endpoint propagation to every consumer, the Service proxy's added latency, calls during a provider's power cut.")

    @Option(help: "Member sites (in-process, reached over HTTPS).")
    var sites = 100

    @Option(help: "Times a provider's pod is replaced and its new address followed to every consumer.")
    var rounds = 5

    @Option(help: "Calls for the proxy-latency measurement (each way).")
    var calls = 500

    func validate() throws {
        guard sites >= 3, rounds > 0, calls > 0 else { throw ValidationError("needs at least 3 sites, and positive rounds and calls") }
    }

    func run() async throws {
        func progress(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }
        let statusConfiguration = ClusterStatusConfiguration()
        let bench = try await BenchFederation.start("mesh", sites: sites, kubelet: .immediate, readyWithin: 180)
        let controlPlane = bench.controlPlane, host = bench.host
        progress("\(sites) clusters joined and Ready")

        let recorder = MeshRecorder()
        var watchers: [Task<Void, Never>] = []
        for site in host.sites {
            let slices = try await site.store.watch(EndpointSlice.descriptor.groupResource,
                options: WatchOptions(resourceVersion: await site.store.currentRevision()))
            let name = site.name
            watchers.append(Task {
                for await event in slices where event.object.labels[ServiceRoutingLabels.provisionCluster] != nil {
                    guard event.type != .deleted, let slice = try? EndpointSlice(json: event.object) else { continue }
                    let port = slice.ports?.first?.port ?? 0
                    for endpoint in slice.endpoints ?? [] where endpoint.isReady {
                        await recorder.imported(site: name, target: "\(endpoint.addresses.first ?? ""):\(port)")
                    }
                }
            })
        }
        let providers = [host.sites[0], host.sites[1]]
        for provider in providers {
            let pods = try await provider.store.watch(Pod.descriptor.groupResource, options: WatchOptions(resourceVersion: await provider.store.currentRevision()))
            watchers.append(Task {
                for await event in pods {
                    guard let pod = try? Pod(json: event.object), pod.isReady,
                        let port = pod.metadata.annotations?["sim.flotilla.io/listen-port"] else { continue }
                    await recorder.ready(target: "\(pod.status?.podIP ?? ""):\(port)")
                }
            })
        }

        let names = host.sites.map(\.name)
        for object in try Self.objects(providers: [names[0]], all: names) { _ = try await controlPlane.create(Self.descriptor(of: object), object) }
        let consumers = names.filter { $0 != names[0] }

        // 1. Propagation: a provider pod turns Ready; its address reaches every other site's imported slice.
        var propagation = LatencySamples()
        for round in 0..<rounds {
            if round > 0 {
                // Replace the pod: the site's deployment controller makes a new one, listening on a new port.
                let pods = try await providers[0].store.list(Pod.descriptor.groupResource, options: ListOptions(filter: ObjectFilter(namespace: "default")))
                for pod in pods.items where pod.labels["app"] == "web" {
                    _ = try await providers[0].store.delete(Pod.descriptor.groupResource, namespace: "default", name: pod.name ?? "", options: DeleteOptions())
                }
            }
            let target = try await Self.waitForNewTarget(recorder, after: round)
            try await waitUntil("\(target) in every consumer", seconds: 60, every: .milliseconds(20)) {
                await recorder.importedCount(target: target, sites: consumers) == consumers.count
            }
            let samples = await recorder.propagation(target: target, sites: consumers)
            for sample in samples { propagation.add(sample) }
            progress("round \(round + 1): \(target) in \(consumers.count) consumers, p50 \(format(propagation.percentile(50))) ms")
        }

        // 2. The proxy's added latency: the echo pod on the provider directly, then through the provider's own proxy.
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try host.sites.map { try NIOSSLCertificate(bytes: Array($0.caPEM.utf8), format: .pem) })
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(tlsConfiguration: tls))
        let target = try requireBench(await recorder.latestTarget(), "a ready provider pod")
        var direct = LatencySamples(), proxied = LatencySamples()
        let providerURL = await providers[0].baseURL
        for _ in 0..<calls {
            direct.add(try await Self.call(client, "http://\(target)/", token: nil))
        }
        for _ in 0..<calls {
            proxied.add(try await Self.call(client, "\(providerURL)/api/v1/namespaces/default/services/web:http/proxy/", token: providers[0].adminToken))
        }
        progress("direct p50 \(format(direct.percentile(50), 2)) ms, through the proxy p50 \(format(proxied.percentile(50), 2)) ms")

        // 3. A provider's power cut: a second provider joins, a consumer calls through its proxy throughout.
        let policy = try await controlPlane.get(PropagationPolicy.descriptor, namespace: "default", name: "web")
        var widened = policy
        widened.setValue(.array([.string(names[0]), .string(names[1])]), at: ["spec", "placement", "clusterAffinity", "clusterNames"])
        _ = try await controlPlane.update(PropagationPolicy.descriptor, widened)
        var deployment = try await controlPlane.get(Deployment.descriptor, namespace: "default", name: "web")
        deployment.setValue(2, at: ["spec", "replicas"])
        _ = try await controlPlane.update(Deployment.descriptor, deployment)
        let consumer = host.sites[2]
        try await waitUntil("two providers imported into \(consumer.name)", seconds: 60, every: .milliseconds(50)) {
            Set(try await Self.importedSlices(consumer).compactMap { $0.labels[ServiceRoutingLabels.provisionCluster] }).count == 2
        }
        let consumerURL = await consumer.baseURL
        var failed = 0, failedAfterWithdrawal = 0, total = 0
        var answeredBy: [String: Int] = [:]
        let cut = ContinuousClock.now
        await providers[0].down(powerCut: true)
        var withdrawn: Duration?
        while ContinuousClock.now - cut < statusConfiguration.failureThreshold * 3 {
            let (ok, site) = await Self.callSite(client, "\(consumerURL)/api/v1/namespaces/default/services/web:http/proxy/", token: consumer.adminToken)
            total += 1
            if !ok { failed += 1; if withdrawn != nil { failedAfterWithdrawal += 1 } }
            if let site { answeredBy[site, default: 0] += 1 }
            if withdrawn == nil, try await !Self.importedSlices(consumer).contains(where: { $0.labels[ServiceRoutingLabels.provisionCluster] == names[0] }) {
                withdrawn = ContinuousClock.now - cut
            }
            if let withdrawn, ContinuousClock.now - cut > withdrawn + .seconds(3) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        progress("power cut: \(total) calls, \(failed) failed, answered by \(answeredBy)")
        try await client.shutdown()
        let rss = residentMemoryMB()
        for watcher in watchers { watcher.cancel() }
        await bench.stop()

        let withdrawal = withdrawn.map { format(seconds($0), 1) + " s" } ?? "not within \(format(seconds(statusConfiguration.failureThreshold * 3), 0)) s"
        let limit = seconds(statusConfiguration.failureThreshold) + 2 * seconds(statusConfiguration.interval)
        printResults("flotilla bench mesh --sites \(sites) --rounds \(rounds) --calls \(calls)", [
            BenchResult(name: "provider pod Ready → its address in every consumer's EndpointSlice, p50 / p99 (\(propagation.values.count) = \(rounds) × \(consumers.count))",
                value: "\(format(propagation.percentile(50))) / \(format(propagation.percentile(99))) ms", target: "p99 ≤ 1000 ms",
                met: propagation.percentile(99) <= 1000),
            BenchResult(name: "echo GET direct (HTTP, loopback), p50 / p99", value: "\(format(direct.percentile(50), 2)) / \(format(direct.percentile(99), 2)) ms",
                target: "-", met: nil),
            BenchResult(name: "same through the site's Service proxy (HTTPS + token, local endpoint), p50 / p99",
                value: "\(format(proxied.percentile(50), 2)) / \(format(proxied.percentile(99), 2)) ms", target: "-", met: nil),
            BenchResult(name: "proxy's added latency, p50 (same run)", value: "\(format(proxied.percentile(50) - direct.percentile(50), 2)) ms", target: "-", met: nil),
            BenchResult(name: "calls through a consumer's proxy during a provider's power cut: failed / total", value: "\(failed) / \(total)",
                target: "0 after withdrawal", met: failedAfterWithdrawal == 0),
            BenchResult(name: "power cut → the provider's slices withdrawn from the consumer", value: withdrawal,
                target: "≤ failure threshold + 2 probes (\(format(limit, 0)) s)", met: withdrawn.map { seconds($0) <= limit }),
            BenchResult(name: "RSS (control plane + \(sites) sites)", value: "\(format(rss)) MB", target: "-", met: nil),
        ])
    }

    static func objects(providers: [String], all: [String]) throws -> [JSONValue] {
        let quoted = all.map { "\"\($0)\"" }.joined(separator: ", ")
        let yaml = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: default}
            spec:
              replicas: 1
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - {name: echo, image: "flotilla/echo:1", ports: [{name: http, containerPort: 8080}], resources: {requests: {cpu: 10m, memory: 16Mi}}}
            ---
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: web, namespace: default}
            spec:
              resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
              placement:
                clusterAffinity: {clusterNames: [\(providers.map { "\"\($0)\"" }.joined(separator: ", "))]}
                replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: default}
            spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}
            ---
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: web-service, namespace: default}
            spec:
              resourceSelectors: [{apiVersion: v1, kind: Service, name: web}]
              placement: {clusterAffinity: {clusterNames: [\(quoted)]}}
            ---
            apiVersion: networking.karmada.io/v1alpha1
            kind: MultiClusterService
            metadata: {name: web, namespace: default}
            spec: {types: [CrossCluster]}
            """
        return try YAMLCodec.decodeDocuments(yaml)
    }

    static func descriptor(of object: JSONValue) -> ResourceDescriptor {
        ResourceRegistry.controlPlane.descriptor(apiVersion: object["apiVersion"]?.stringValue ?? "", kind: object["kind"]?.stringValue ?? "")!
    }

    static func importedSlices(_ site: EdgeSite) async throws -> [JSONValue] {
        try await site.store.list(EndpointSlice.descriptor.groupResource, options: ListOptions(filter: ObjectFilter(namespace: "default"))).items
            .filter { $0.labels[ServiceRoutingLabels.provisionCluster] != nil }
    }

    /// The address of the provider pod that turned Ready in this round.
    static func waitForNewTarget(_ recorder: MeshRecorder, after round: Int) async throws -> String {
        var found: String?
        try await waitUntil("a provider pod Ready (round \(round + 1))", seconds: 60, every: .milliseconds(10)) {
            found = await recorder.target(number: round)
            return found != nil
        }
        return found!
    }

    static func call(_ client: HTTPClient, _ url: String, token: String?) async throws -> Duration {
        let started = ContinuousClock.now
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await client.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw BenchFailure("\(url) answered \(response.status.code)") }
        return ContinuousClock.now - started
    }

    static func callSite(_ client: HTTPClient, _ url: String, token: String) async -> (ok: Bool, site: String?) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        guard let response = try? await client.execute(request, timeout: .seconds(10)),
            let body = try? await response.body.collect(upTo: 1 << 20), response.status == .ok else { return (false, nil) }
        return (true, (try? JSONValue.parse(Array(body.readableBytesView)))?["site"]?.stringValue)
    }
}

/// When each provider pod turned Ready, and when its address reached each site.
actor MeshRecorder {
    private var readyAt: [String: ContinuousClock.Instant] = [:]
    private var order: [String] = []
    private var importedAt: [String: [String: ContinuousClock.Instant]] = [:]

    func ready(target: String) {
        guard readyAt[target] == nil else { return }
        readyAt[target] = .now
        order.append(target)
    }

    func imported(site: String, target: String) {
        if importedAt[target]?[site] == nil { importedAt[target, default: [:]][site] = .now }
    }

    func target(number: Int) -> String? { order.count > number ? order[number] : nil }
    func latestTarget() -> String? { order.last }

    func importedCount(target: String, sites: [String]) -> Int { sites.filter { importedAt[target]?[$0] != nil }.count }

    func propagation(target: String, sites: [String]) -> [Duration] {
        guard let ready = readyAt[target] else { return [] }
        return sites.compactMap { importedAt[target]?[$0].map { $0 - ready } }
    }
}

func requireBench<T>(_ value: T?, _ what: String) throws -> T {
    guard let value else { throw BenchFailure("no \(what)") }
    return value
}
