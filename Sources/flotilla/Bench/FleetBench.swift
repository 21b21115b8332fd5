import ArgumentParser
import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import Foundation
import KubeClient
import Logging

/// `flotilla bench fleet`: a thousand sites the way an operator runs them. Every part is its own process started
/// with its documented command: `flotilla member` processes holding the sites, `flotilla serve` as the control
/// plane. The bench joins the Push sites over the control plane's HTTPS API (as `flotilla join` does) and runs an
/// agent for each Pull site in its own process (as `flotilla agent` would, one per site). Then it places
/// Deployments, each with a policy picking `--clusters-per-placement` clusters by label, restarts the control plane
/// and measures how long it takes to be back in step with every member.
struct FleetBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Fleet scale: sites in several member processes, placements by label, control-plane restart and resync.")

    @Option(help: "Simulated sites (edge-1 … edge-N), spread over the member processes.")
    var sites = 1000

    @Option(help: "Deployments, each with its own PropagationPolicy (Duplicated, 1 replica per cluster).")
    var placements = 1000

    @Option(help: "Clusters each policy picks by label (sites must be a multiple of it).")
    var clustersPerPlacement = 100

    @Option(help: "`flotilla member` processes the sites are spread over.")
    var memberProcesses = 4

    @Option(help: "Of the sites, this many are Pull clusters, each with an agent in the bench's process.")
    var pullSites = 100

    @Option(help: "Placements in flight at once (each is created, then waited on until all its member Deployments are Ready).")
    var concurrency = 8

    @Option(help: "Seconds of idle to measure the control plane's CPU over.")
    var idleSeconds = 30

    @Option(help: "Keep the processes' logs and data in this directory (default: a temporary one, removed at the end).")
    var keep: String?

    @Option(help: "Log level of the member and control-plane processes (their logs are in the --keep directory).")
    var processLogLevel = "warning"

    func validate() throws {
        guard sites > 0, placements > 0, clustersPerPlacement > 0, memberProcesses > 0, concurrency > 0, idleSeconds > 0 else {
            throw ValidationError("all counts must be positive")
        }
        guard sites % clustersPerPlacement == 0 else { throw ValidationError("--sites must be a multiple of --clusters-per-placement") }
        guard (0...sites).contains(pullSites) else { throw ValidationError("--pull-sites must be between 0 and --sites") }
        guard memberProcesses <= sites, sites <= memberProcesses * 1000 else {
            throw ValidationError("each member process holds 1 to 1,000 sites")
        }
    }

    static let groupLabel = "fleet.flotilla.io/group"
    static let namespace = "fleet"

    /// Site `index` (0-based): its name, its group label (sites take the groups in turn, so each group has
    /// `clustersPerPlacement` sites) and whether it is Pull (the last `pullSites`, so every group has its share).
    func site(_ index: Int) -> (name: String, group: String, pull: Bool) {
        ("edge-\(index + 1)", "g\(index % (sites / clustersPerPlacement))", index >= sites - pullSites)
    }

    func run() async throws {
        let root = keep.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-bench-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // Ctrl-C (SIGINT) or SIGTERM stops the bench and every process it started.
        let results = try await cancellingOnSignals { [self] in
            var fleet = Fleet(root: root)
            do {
                let results = try await measure(&fleet)
                await fleet.stop()
                return results
            } catch {
                progress("\(Task.isCancelled ? "stopped" : "failed: \(error)"); logs in \(root.path)")
                await fleet.stop()
                throw error
            }
        }
        if keep == nil { try? FileManager.default.removeItem(at: root) }
        printResults("Fleet: \(sites) sites (\(pullSites) Pull) in \(memberProcesses) member processes, \(placements) placements × "
                     + "\(clustersPerPlacement) clusters, \(concurrency) in flight", results)
    }

    func progress(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }

    func measure(_ fleet: inout Fleet) async throws -> [BenchResult] {
        let clock = ContinuousClock()
        // Members: each process gets a profile with its share of the sites.
        var started = clock.now
        let perProcess = (sites + memberProcesses - 1) / memberProcesses
        for process in 0..<memberProcesses {
            let indices = Array(process * perProcess..<min(sites, (process + 1) * perProcess))
            guard !indices.isEmpty else { continue }
            let generated = SiteProfile.generated(count: sites).sites
            let profile = SiteProfile(sites: indices.map { generated[$0] })
            let directory = fleet.root.appendingPathComponent("members-\(process + 1)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let file = directory.appendingPathComponent("profile.json")
            try JSONEncoder().encode(profile).write(to: file)
            let member = try ChildProcess("member-\(process + 1)", ["member", "--data-dir", directory.path, "--profile", file.path,
                "--startup-delay", "0", "--jitter", "0", "--log-level", processLogLevel], log: directory.appendingPathComponent("member.log"))
            fleet.members.append((member, indices.count))
            for index in indices { fleet.kubeconfigs[site(index).name] = directory.appendingPathComponent("\(site(index).name).kubeconfig").path }
        }
        for (member, count) in fleet.members {
            try await member.waitFor("\(count) sites listening", seconds: 300) { $0.components(separatedBy: " listening on ").count - 1 >= count }
        }
        let membersUp = clock.now - started
        progress("\(sites) sites listening in \(fleet.members.count) member processes after \(format(seconds(membersUp), 1)) s")

        // The control plane.
        let controlPlaneDirectory = fleet.root.appendingPathComponent("control-plane")
        fleet.port = try await fleet.startControlPlane(directory: controlPlaneDirectory, port: 0, logLevel: processLogLevel)
        let kubeconfig = controlPlaneDirectory.appendingPathComponent("admin.kubeconfig").path
        let client = try KubeClient(kubeconfig: kubeconfig)
        fleet.clients.append(client)
        _ = try? await client.create(Namespace.descriptor, Namespace(name: Self.namespace).json())

        // Joins (Push) and agents (Pull), a few at a time.
        started = clock.now
        let quiet = Logger(label: "flotilla.bench", factory: { _ in SwiftLogNoOpLogHandler() })
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let index = next
                next += 1
                let (name, label, pull) = site(index)
                let path = fleet.kubeconfigs[name] ?? ""
                guard !pull else { return }
                group.addTask {
                    try await ClusterJoin.join(name: name, member: try KubeconfigFile.load(path: path),
                        options: ClusterJoin.Options(labels: [Self.groupLabel: label]), controlPlane: client)
                }
            }
            while next < min(8, sites) { add() }
            while try await group.next() != nil { if next < sites { add() } }
        }
        for index in 0..<sites where site(index).pull {
            let (name, label, _) = site(index)
            let member = try KubeClient(kubeconfig: fleet.kubeconfigs[name] ?? "")
            let agentClient = try KubeClient(kubeconfig: kubeconfig)
            let agent = PullAgent(controlPlane: agentClient, member: member,
                configuration: PullAgent.Configuration(cluster: name, labels: [Self.groupLabel: label]), logger: quiet)
            try await agent.register()
            fleet.agents.append((Task { await agent.run() }, [member, agentClient]))
        }
        try await waitUntil("\(sites) clusters Ready", seconds: 300, every: .milliseconds(500)) {
            try await client.list(Cluster.descriptor, namespace: nil, options: .everything).items
                .compactMap { try? Cluster(json: $0) }.filter(\.isReady).count == sites
        }
        let joined = clock.now - started
        progress("\(sites) clusters joined and Ready after \(format(seconds(joined), 1)) s")

        // Placements: a policy each, then the Deployments, `concurrency` in flight.
        for index in 0..<placements { _ = try await client.create(PropagationPolicy.descriptor, policy(index)) }
        let tracker = ReadyTracker(wanted: Int64(clustersPerPlacement))
        let informer = Informer(client: client, resource: Deployment.descriptor, namespace: Self.namespace, logger: quiet)
        let watching = Task { await informer.run { event in await tracker.observe(event) } }
        defer { watching.cancel() }
        started = clock.now
        var latency = LatencySamples()
        try await withThrowingTaskGroup(of: Duration.self) { group in
            var next = 0
            func add() {
                let index = next
                next += 1
                group.addTask {
                    let name = "app-\(index)"
                    let start = ContinuousClock.now
                    await tracker.expect(name)
                    _ = try await client.create(Deployment.descriptor, deployment(index))
                    let ready = try await tracker.ready(name, within: .seconds(300))
                    return ready - start
                }
            }
            while next < min(concurrency, placements) { add() }
            while let took = try await group.next() {
                latency.add(took)
                if next < placements { add() }
                if latency.values.count % 100 == 0 { progress("\(latency.values.count) placements Ready") }
            }
        }
        let placing = clock.now - started
        let works = placements * clustersPerPlacement
        let pushWorks = (0..<placements).reduce(0) { total, index in
            total + (0..<sites).filter { !site($0).pull && site($0).group == "g\(index % (sites / clustersPerPlacement))" }.count
        }
        progress("\(placements) placements (\(works) Works) Ready after \(format(seconds(placing), 1)) s")

        // Idle cost with everything placed.
        guard let controlPlane = fleet.controlPlane else { throw BenchFailure("the control plane is gone") }
        try await Task.sleep(for: .seconds(5))
        let cpuBefore = processCPUSeconds(pid: controlPlane.pid), idleStart = clock.now
        try await Task.sleep(for: .seconds(idleSeconds))
        let idle = (processCPUSeconds(pid: controlPlane.pid) - cpuBefore) / seconds(clock.now - idleStart) * 100
        let rss = residentMemoryMB(pid: controlPlane.pid)
        let memberRSS = fleet.members.map { residentMemoryMB(pid: $0.process.pid) }
        let benchRSS = residentMemoryMB()

        // Restart: SIGTERM, start again on the same data and port, and time until every Work is verified against
        // its member and every Cluster's status is fresh (the control plane's own gauges, on /metrics).
        progress("restarting the control plane")
        let exit = await controlPlane.stop()
        progress("the control plane exited with \(controlPlane.exitStatus.map(String.init) ?? "?") after \(format(seconds(exit), 1)) s")
        started = clock.now
        fleet.port = try await fleet.startControlPlane(directory: controlPlaneDirectory, port: fleet.port, logLevel: processLogLevel)
        let listening = clock.now - started
        var synced = (works: 0.0, clusters: 0.0)
        try await waitUntil("resync", seconds: 900, every: .milliseconds(250)) {
            guard let text = try? await client.raw("/metrics", timeout: .seconds(5), retries: 0) else { return false }
            synced = (Self.gauge("flotilla_execution_works_synced", in: text), Self.gauge("flotilla_cluster_status_clusters_observed", in: text))
            return synced.works >= Double(pushWorks) && synced.clusters >= Double(sites)
        }
        let resync = clock.now - started
        let rssAfter = fleet.controlPlane.map { residentMemoryMB(pid: $0.pid) } ?? .nan
        progress("resynced after \(format(seconds(resync), 1)) s (\(Int(synced.works)) Works, \(Int(synced.clusters)) clusters)")

        return [
            BenchResult(name: "sites listening in \(fleet.members.count) member processes, s", value: format(seconds(membersUp), 1), target: "-"),
            BenchResult(name: "clusters joined (\(sites - pullSites) Push) or registered by agents (\(pullSites) Pull) → all Ready, s",
                        value: format(seconds(joined), 1), target: "-"),
            BenchResult(name: "placement → all member Deployments Ready, p50 / p99 ms", value: "\(format(latency.percentile(50))) / "
                        + "\(format(latency.percentile(99)))", target: "p99 <= 5000", met: latency.percentile(99) <= 5000),
            BenchResult(name: "\(placements) placements (\(works) Works) → all Ready, s; Works/s", value: "\(format(seconds(placing), 1)); "
                        + format(Double(works) / seconds(placing)), target: "-"),
            BenchResult(name: "resync after control-plane restart, s (exit took; listening after)", value: "\(format(seconds(resync), 1)) "
                        + "(\(format(seconds(exit), 1)); \(format(seconds(listening), 1)))", target: "<= 60", met: seconds(resync) <= 60),
            BenchResult(name: "control-plane RSS MB (after the restart's resync)", value: "\(format(rss)) (\(format(rssAfter)))",
                        target: "<= 2048", met: max(rss, rssAfter) <= 2048),
            BenchResult(name: "control-plane CPU idle % (of one core, \(idleSeconds) s)", value: format(idle, 1), target: "-"),
            BenchResult(name: "member processes RSS MB (each)", value: "\(format(memberRSS.reduce(0, +))) (\(memberRSS.map { format($0) }.joined(separator: ", ")))",
                        target: "-"),
            BenchResult(name: "bench process RSS MB (the \(pullSites) agents and the clients)", value: format(benchRSS), target: "-"),
        ]
    }

    /// A value of an unlabelled gauge in Prometheus text.
    static func gauge(_ name: String, in text: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }

    func policy(_ index: Int) -> JSONValue {
        ["apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
         "metadata": ["name": .string("app-\(index)"), "namespace": .string(Self.namespace)],
         "spec": ["resourceSelectors": [["apiVersion": "apps/v1", "kind": "Deployment", "name": .string("app-\(index)")]],
                  "placement": ["clusterAffinity": ["labelSelector": ["matchLabels": [Self.groupLabel: .string("g\(index % (sites / clustersPerPlacement))")]]],
                                "replicaScheduling": ["replicaSchedulingType": "Duplicated"]]]]
    }

    func deployment(_ index: Int) -> JSONValue {
        let name = "app-\(index)"
        return ["apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": ["name": .string(name), "namespace": .string(Self.namespace)],
                "spec": ["replicas": 1, "selector": ["matchLabels": ["app": .string(name)]],
                         "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [[
                             "name": "main", "image": "nginx:1.25", "resources": ["requests": ["cpu": "10m", "memory": "16Mi"]]]]]]]]
    }
}

/// The processes and clients of one fleet bench, and their orderly stop.
struct Fleet {
    let root: URL
    var members: [(process: ChildProcess, sites: Int)] = []
    var kubeconfigs: [String: String] = [:]
    var controlPlane: ChildProcess?
    var port = 0
    var clients: [KubeClient] = []
    var agents: [(task: Task<Void, Never>, clients: [KubeClient])] = []

    /// Starts `flotilla serve` on `directory` (port 0: a free one) and returns its port once it listens.
    mutating func startControlPlane(directory: URL, port: Int, logLevel: String) async throws -> Int {
        let (process, bound) = try await ChildProcess.serve(directory: directory, port: port, logLevel: logLevel)
        controlPlane = process
        return bound
    }

    func stop() async {
        for agent in agents { agent.task.cancel() }
        for agent in agents {
            await agent.task.value
            for client in agent.clients { await client.shutdown() }
        }
        for client in clients { await client.shutdown() }
        await controlPlane?.stop()
        await withTaskGroup(of: Void.self) { group in
            for member in members { group.addTask { await member.process.stop() } }
        }
    }
}

/// When each placement's template reports all its member copies Ready (the summed `status.readyReplicas`, from a
/// watch on the control plane).
actor ReadyTracker {
    let wanted: Int64
    private var readyAt: [String: ContinuousClock.Instant] = [:]
    private var expected: Set<String> = []

    init(wanted: Int64) { self.wanted = wanted }

    func expect(_ name: String) { expected.insert(name) }

    func observe(_ event: InformerEvent) {
        let objects: [JSONValue]
        switch event {
        case .synced(let all): objects = all
        case .added(let object), .modified(let object): objects = [object]
        case .deleted: return
        }
        let now = ContinuousClock.now
        for object in objects {
            guard let name = object.name, expected.contains(name), readyAt[name] == nil,
                  (object["status"]?["readyReplicas"]?.int64Value ?? 0) >= wanted else { continue }
            readyAt[name] = now
        }
    }

    func ready(_ name: String, within limit: Duration) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let at = readyAt[name] { return at }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchFailure("\(name) not Ready within \(limit)")
    }
}
