import AccessNetworkSim
import ArgumentParser
import AsyncHTTPClient
import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaMEC
import FlotillaServer
import FlotillaStore
import KubeClient
import Foundation
import NIOCore

/// `flotilla bench mec`: discovery ranking in process (100,000 UEs, 1,000 sites), discovery over HTTP at a fixed
/// rate, and session migrations of 64 KiB between two real counter instances on loopback.
struct MECBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mec",
        abstract: "Discovery queries/s in process and p99 over HTTP; migration downtime and event-to-migration time."
    )

    @Option(help: "Scenario for the in-process ranking; its generator's site count is raised to --sites.")
    var scenario: String = "simulator/scenarios/large-scale.yaml"

    @Option(help: "Edge sites for the in-process ranking.")
    var sites: Int = 1000

    @Option(help: "Discovery requests per second over HTTP.")
    var rate: Int = 5000

    @Option(name: .customLong("seconds"), help: "Seconds of HTTP load.")
    var loadSeconds: Int = 10

    @Option(help: "Migrations to time.")
    var migrations: Int = 200

    @Option(help: "Bytes of session state per migration.")
    var stateBytes: Int = 64 * 1024

    func run() async throws {
        var results: [BenchResult] = []
        results += try ranking()
        results += try await http()
        results += try await migration()
        results.append(BenchResult(name: "RSS MB", value: format(residentMemoryMB(), 0), target: "-", met: nil))
        printResults("flotilla bench mec", results)
    }

    /// The app both measures use: a 30 ms budget.
    static let profile = AppProfile(metadata: ObjectMeta(name: "game", namespace: "default"),
        spec: AppProfileSpec(workloads: [ResourceSelector(apiVersion: "apps/v1", kind: "Deployment", name: "game")], latencyBudgetMs: 30))

    func progress(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }

    /// The indexed ranking over the large scenario with `sites` sites, two instances each.
    func ranking() throws -> [BenchResult] {
        var text = try String(contentsOfFile: scenario, encoding: .utf8)
        text = text.replacingOccurrences(of: "sites: 100,", with: "sites: \(sites),")
        let network = AccessNetwork(scenario: try Scenario.parse(yaml: text, file: scenario))
        network.step()
        network.step()
        progress("ranking: \(network.ueCount) UEs, \(network.topology.cells.count) cells, \(network.topology.sites.count) sites; building the index")
        let built = ContinuousClock.now
        var index = DiscoveryIndex.build(from: network)
        for site in 0..<index.sites.count {
            index.setInstances(site: site, (0..<2).map { i in
                DiscoveryIndex.Instance(endpoint: "10.\(site / 250).\(site % 250).\(i):7777", capacity: 100, load: Int32((site * 7 + i * 31) % 101), ready: true)
            })
        }
        let buildTime = ContinuousClock.now - built
        let queries = 5_000_000
        var found = 0, within = 0
        let start = ContinuousClock.now
        for q in 0..<queries {
            if let answer = index.best(ue: (q &* 7919) % network.ueCount, budgetMs: 20) {
                found += 1
                if answer.withinBudget { within += 1 }
            }
        }
        let rate = Double(queries) / seconds(ContinuousClock.now - start)
        return [
            BenchResult(name: "DiscoveryIndex queries/s, not the service's path (\(network.ueCount) UEs, \(index.sites.count) sites, one core)", value: format(rate),
                target: ">= 1,000,000", met: rate >= 1_000_000),
            BenchResult(name: "  answered / within a 20 ms budget", value: "\(found * 100 / queries) % / \(within * 100 / max(found, 1)) %",
                target: "-", met: nil),
            BenchResult(name: "  index build s", value: format(seconds(buildTime), 2), target: "-", met: nil),
        ]
    }

    /// GET …/endpoints?ue= against the control plane's discovery API (plain HTTP, loopback, same process), the demo
    /// city's network in process, at a fixed rate.
    func http() async throws -> [BenchResult] {
        let network = AccessNetwork(scenario: try Scenario.load(path: "simulator/scenarios/demo-city.yaml"))
        let sites = network.topology.sites.map(\.cluster)
        let runner = SimulationRunner(network: network, hub: NotificationHub(sender: NoCallbacks()), paused: true)
        await runner.step(seconds: 5)
        // The UEs with coverage (paused, so it stays that way): the others get a correct 503, which is not the point here.
        let addresses = await runner.withNetwork { network in
            (0..<network.ueCount).filter { network.status(of: $0).servingCell != nil }.map { network.addresses[$0] }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-bench-mec-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try DataDirectory.prepare(dir)
        let store = ResourceStore.memory()
        let client = StoreObjectClient(store: store)
        let instances = StaticInstances([EdgeApp(profile: Self.profile, instances: sites.enumerated().map { i, site in
            EdgeInstance(site: site, endpoint: "127.0.0.\(i + 1):7777", capacity: 1000) })])
        var server = APIServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0, tls: false, maxRequestsInflight: 10_000),
                               data: data, store: store)
        server.extensions = [DiscoveryAPI(discovery: Discovery(client: client, instances: instances, rtt: SimulatedRTT(runner: runner)))]
        try await server.bootstrap()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = try server.makeApplication { continuation.yield($0) }
        let serving = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        defer { serving.cancel() }
        // The load comes from wrk in its own process (an HTTP client in this process would take the server's CPU and
        // measure itself): `connections` keep-alive connections, each pausing so that together they ask `rate` req/s.
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return [BenchResult(name: "discovery over HTTP (needs wrk: apt-get install wrk)", value: "skipped", target: "<= 5 at 5,000 req/s", met: nil)]
        }
        let connections = 50
        // Each connection waits this long after an answer; with about 1.5 ms per answer they add up to `rate`.
        let pauseMs = max(0, Double(connections) * 1000 / Double(rate) - 1.5)
        let script = dir.appendingPathComponent("discovery.lua")
        let list = addresses.map { "\"\($0)\"" }.joined(separator: ",")
        try """
            local ues = {\(list)}
            local i = 0
            request = function()
              i = i + 1
              local ue = ues[(i * 31) % #ues + 1]
              return wrk.format("GET", "/mec/discovery/v1/namespaces/default/apps/game/endpoints?ue=" .. ue .. "&limit=3",
                                {["Authorization"] = "Bearer \(data.adminToken)"})
            end
            delay = function() return \(pauseMs) end
            """.write(to: script, atomically: true, encoding: .utf8)
        progress("discovery over HTTP: wrk, \(connections) connections pacing to \(rate) req/s for \(loadSeconds) s")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrk)
        process.arguments = ["-t1", "-c\(connections)", "-d\(loadSeconds)s", "--latency", "-s", script.path, "http://127.0.0.1:\(port)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: try await Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }.value, as: UTF8.self)
        process.waitUntilExit()
        let report = WrkReport(output)
        progress(output)
        return [
            BenchResult(name: "discovery over HTTP p99 ms at \(format(report.requestsPerSecond)) req/s (wrk; \(report.errors) errors)",
                value: format(report.p99, 2), target: "<= 5 at 5,000 req/s",
                met: report.p99 <= 5 && report.requestsPerSecond >= Double(rate) * 0.95 && report.errors == 0),
            BenchResult(name: "  p50 ms", value: format(report.p50, 2), target: "-", met: nil),
        ]
    }

    /// Moves `migrations` sessions of `stateBytes` from one counter instance to another through the mobility service,
    /// triggered by a notification (an RTT change that breaks the budget).
    func migration() async throws -> [BenchResult] {
        let source = try await CounterWorkload.start(WorkloadContext(site: "edge-a", namespace: "default", pod: "a", image: "flotilla/counter:1"))
        let target = try await CounterWorkload.start(WorkloadContext(site: "edge-b", namespace: "default", pod: "b", image: "flotilla/counter:1"))
        let a = "127.0.0.1:\(source.port)", b = "127.0.0.1:\(target.port)"
        let client = StoreObjectClient(store: ResourceStore.memory())
        _ = try await client.create(Namespace.descriptor, Namespace(name: "default").json())
        _ = try await client.create(AppProfile.descriptor, Self.profile.json())
        let rtt = ScriptedRTT()
        let transport = HTTPTransport()
        let instances = StaticInstances([EdgeApp(profile: Self.profile,
                                                 instances: [EdgeInstance(site: "edge-a", endpoint: a), EdgeInstance(site: "edge-b", endpoint: b)])])
        let mobility = MobilityService(client: client, rtt: rtt, instances: instances, runner: MigrationRunner(client: client, transport: transport),
            configuration: .init(policy: MobilityPolicy(budgetGrace: .zero), interval: .seconds(3600), demandInterval: .seconds(3600)))
        let running = Task { await mobility.run() }
        progress("migrations: \(migrations) sessions of \(stateBytes) bytes")
        var downtime = LatencySamples(), decision = LatencySamples(), transfer = LatencySamples()
        var failed = 0
        for i in 0..<migrations {
            let name = "s\(i)", ue = "10.1.\(i / 250).\(i % 250)"
            await rtt.set(ue, ["edge-a": 10, "edge-b": 20])
            _ = try await transport.send(.POST, "http://\(a)/sessions/\(name)?paddingBytes=\(stateBytes)")
            var session = try AppSession(json: try await client.create(AppSession.descriptor,
                AppSession(metadata: ObjectMeta(name: name, namespace: "default"), spec: AppSessionSpec(ue: ue, app: "game")).json()))
            session.status = AppSessionStatus(site: "edge-a", endpoint: a, phase: "Active")
            _ = try await client.updateStatus(AppSession.descriptor, session.json())
            try await waitUntil("the mobility service sees \(name)", seconds: 10) { await mobility.follows(namespace: "default", name: name) }
            // The UE moves: edge-a now breaks the budget.
            await rtt.set(ue, ["edge-a": 45, "edge-b": 12])
            await mobility.notify(ue: ue)
            var record: SessionMigration?
            try await waitUntil("\(name) migrated", seconds: 10) {
                let items = try await client.list(SessionMigration.descriptor, namespace: "default", options: ListQuery(labelSelector: "mec.flotilla.io/session=\(name)")).items
                record = items.compactMap { try? SessionMigration(json: $0) }.first { ["Completed", "RolledBack", "Failed"].contains($0.status?.phase ?? "") }
                return record != nil
            }
            guard let status = record?.status, status.phase == "Completed" else { failed += 1; continue }
            downtime.add(.microseconds(Int64((status.downtimeMs ?? 0) * 1000)))
            decision.add(.microseconds(Int64((status.decisionMs ?? 0) * 1000)))
            transfer.add(.microseconds(Int64((status.transferMs ?? 0) * 1000)))
        }
        running.cancel()
        await running.value
        await transport.shutdown()
        await source.stop()
        await target.stop()
        let kib = stateBytes / 1024
        return [
            BenchResult(name: "migration downtime p99 ms (\(kib) KiB, loopback, \(migrations - failed) of \(migrations) completed)",
                value: format(downtime.percentile(99), 2), target: "<= 20", met: downtime.percentile(99) <= 20 && failed == 0),
            BenchResult(name: "  downtime p50 ms", value: format(downtime.percentile(50), 2), target: "-", met: nil),
            BenchResult(name: "  whole transfer p50 / p99 ms", value: "\(format(transfer.percentile(50), 2)) / \(format(transfer.percentile(99), 2))",
                target: "-", met: nil),
            BenchResult(name: "event to migration start p99 ms", value: format(decision.percentile(99), 2), target: "<= 10",
                met: decision.percentile(99) <= 10),
        ]
    }
}

/// RTTs the benchmark sets per UE.
actor ScriptedRTT: SiteRTTSource {
    private var table: [String: [String: Double]] = [:]

    func set(_ ue: String, _ rtt: [String: Double]) { table[ue] = rtt }

    func rtt(ue: String) throws(MECError) -> UESiteRTT {
        guard let rtt = table[ue] else { throw MECError(.notFound, "unknown UE \(ue)") }
        return UESiteRTT(ue: ue, rttMs: rtt)
    }

    func rtt(at location: DiscoveryLocation) throws(MECError) -> UESiteRTT { throw MECError(.badRequest, "places are not scripted") }
}

/// The benchmark's simulator has no subscribers; nothing is ever sent.
struct NoCallbacks: NotificationSender {
    func post(_ body: [UInt8], to url: String) async throws {}
}

/// What wrk --latency printed: requests/s, latency percentiles (ms), and errors plus non-2xx answers.
struct WrkReport {
    var requestsPerSecond = 0.0
    var p50 = Double.nan
    var p99 = Double.nan
    var errors = 0

    init(_ text: String) {
        func ms(_ token: Substring) -> Double {
            let units: [(String, Double)] = [("us", 0.001), ("ms", 1), ("s", 1000), ("m", 60_000)]
            for (unit, factor) in units where token.hasSuffix(unit) { return (Double(token.dropLast(unit.count)) ?? .nan) * factor }
            return .nan
        }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), let value = fields.last.flatMap({ Double($0) }) { requestsPerSecond = value }
            if fields.first == "50%", fields.count > 1 { p50 = ms(fields[1]) }
            if fields.first == "99%", fields.count > 1 { p99 = ms(fields[1]) }
            if line.contains("Non-2xx or 3xx responses:"), let value = fields.last.flatMap({ Int($0) }) { errors += value }
            if line.contains("Socket errors:") {
                errors += fields.compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) }.reduce(0, +)
            }
        }
    }
}
