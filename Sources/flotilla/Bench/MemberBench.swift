import ArgumentParser
import AsyncHTTPClient
import EdgeClusterSim
import FlotillaAPI
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// `flotilla bench member`: how many simulated sites one process holds, and how fast a site makes a deployment
/// Ready. Everything goes through the sites' HTTPS APIs, as the federation will.
struct MemberBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member",
        abstract: "Simulated sites: RSS for N sites holding P pods in total, and time for 100 replicas to become Ready.")

    @Option(help: "Sites in this process.")
    var sites = 100

    @Option(help: "Pods in total, spread evenly over the sites as one deployment per site.")
    var pods = 10_000

    @Option(help: "Replicas of the single-site rollout measurement.")
    var rolloutReplicas = 100

    @Option(help: "How many times to measure the single-site rollout.")
    var rollouts = 5

    func validate() throws {
        guard sites > 0, pods >= sites, rolloutReplicas > 0, rollouts > 0 else {
            throw ValidationError("--sites, --rollout-replicas and --rollouts must be positive and --pods at least --sites")
        }
    }

    func run() async throws {
        func progress(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-bench-member-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let baselineRSS = residentMemoryMB()
        // Enough room per site for its share of pods at 10m cpu each.
        let perSite = pods / sites
        let nodes = max(1, (perSite + max(rolloutReplicas * rollouts, 0)) / 100 + 1)
        let specs = SiteProfile.generated(count: sites).resolvedSites.map { site in
            var site = site
            site.nodes = nodes
            return site
        }
        let host = try SiteHost(directory: dir, specs: specs, kubelet: .immediate)
        let startClock = ContinuousClock.now
        try await host.start()
        let startTime = ContinuousClock.now - startClock
        let idleRSS = residentMemoryMB()
        progress("\(sites) sites listening after \(format(seconds(startTime), 2)) s, RSS \(format(idleRSS)) MB")

        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try host.sites.map { try NIOSSLCertificate(bytes: Array($0.caPEM.utf8), format: .pem) })
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 4)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)

        let first = host.sites[0]
        var rolloutSamples = LatencySamples()
        for attempt in 0..<rollouts {
            let started = ContinuousClock.now
            let name = "rollout-\(attempt)"
            try await create(client, site: first, name: name, replicas: rolloutReplicas)
            try await waitReady(client, site: first, name: name, replicas: rolloutReplicas)
            rolloutSamples.add(ContinuousClock.now - started)
        }
        progress("\(rolloutReplicas) replicas Ready in p50 \(format(rolloutSamples.percentile(50))) ms")

        let fillStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for site in host.sites {
                group.addTask {
                    try await create(client, site: site, name: "fill", replicas: perSite)
                    try await waitReady(client, site: site, name: "fill", replicas: perSite)
                }
            }
            try await group.waitForAll()
        }
        let fillTime = ContinuousClock.now - fillStart
        let loadedRSS = residentMemoryMB()
        let totalPods = perSite * sites + rolloutReplicas * rollouts
        progress("\(totalPods) pods Ready after \(format(seconds(fillTime), 1)) s, RSS \(format(loadedRSS)) MB")
        try await client.shutdown()
        await host.stop()

        printResults("flotilla bench member --sites \(sites) --pods \(pods)", [
            BenchResult(name: "sites listening (start time)", value: "\(sites) (\(format(seconds(startTime), 2)) s)", target: "-", met: nil),
            BenchResult(name: "RSS, sites idle", value: "\(format(idleRSS)) MB (baseline \(format(baselineRSS)) MB)", target: "-", met: nil),
            BenchResult(name: "\(rolloutReplicas) replicas Ready, p50 / max", value:
                "\(format(rolloutSamples.percentile(50))) / \(format(rolloutSamples.percentile(100))) ms", target: "≤ 1000 ms",
                met: rolloutSamples.percentile(100) <= 1000),
            BenchResult(name: "pods Ready in total", value: "\(totalPods) in \(format(seconds(fillTime), 1)) s (\(format(Double(perSite * sites) / seconds(fillTime))) pods/s)",
                target: "-", met: nil),
            BenchResult(name: "RSS with all pods", value: "\(format(loadedRSS)) MB", target: "< 1024 MB", met: loadedRSS < 1024),
        ])
    }

    func create(_ client: HTTPClient, site: EdgeSite, name: String, replicas: Int) async throws {
        let deployment: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
            "spec": ["replicas": .integer(Int64(replicas)), "selector": ["matchLabels": ["app": .string(name)]],
                     "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [[
                         "name": "main", "image": "nginx:1.25", "resources": ["requests": ["cpu": "10m", "memory": "16Mi"]]]]]]],
        ]
        let (status, body) = try await send(client, site: site, .POST, "/apis/apps/v1/namespaces/default/deployments", deployment)
        guard status == 201 else { throw BenchFailure("create \(name) on \(site.name): \(status) \(body.serializedString())") }
    }

    func waitReady(_ client: HTTPClient, site: EdgeSite, name: String, replicas: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            let (_, body) = try await send(client, site: site, .GET, "/apis/apps/v1/namespaces/default/deployments/\(name)", nil)
            if body["status"]?["readyReplicas"]?.int64Value == Int64(replicas) { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BenchFailure("\(name) on \(site.name) did not become Ready")
    }

    func send(_ client: HTTPClient, site: EdgeSite, _ method: HTTPMethod, _ path: String, _ body: JSONValue?) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: await site.baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(site.adminToken)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.serialized()))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), (try? JSONValue.parse(Array(bytes.readableBytesView))) ?? .null)
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
