import AccessNetworkSim
import ArgumentParser
import FlotillaAPI
import FlotillaMEC
import Foundation
import KubeClient
import MobileGame

/// The README's first command: the whole chain on embedded defaults. A control plane with its SQLite store in a
/// temporary directory, one simulated site per site of the demo city, joined; the access network simulator with the
/// city's three operators and their UEs; the mobile game applied through the API and rolled out everywhere; then
/// every selected UE plays three times at once — on the cloud, on the site nearest where it started, and with
/// Flotilla's discovery and mobility — through its operator's gateway, which applies the access network's round trip.
/// It ends with what the players measured.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the mobile-game demo end to end and report the latency players saw with and without Flotilla."
    )

    /// 100 players × 3 strategies is what two cores carry at the model's fidelity in a release build (see
    /// docs/benchmarks.md); a debug build (`swift run`) carries about 15, so it starts 12 unless told otherwise.
    @Option(help: "Players (UEs of the scenario that play; each plays with all three strategies). Default: 100 in a release build, 12 in a debug build.")
    var players: Int?

    static var defaultPlayers: Int {
        #if DEBUG
        12
        #else
        100
        #endif
    }

    @Option(help: "Seconds of play.")
    var duration: Double = 60

    @Option(help: "Seed for the access network (default: the scenario's).")
    var seed: UInt64?

    @Option(help: "Simulated seconds per real second for the UEs' movement (round trips stay real time).")
    var speed: Double = 1

    @Option(help: "Scenario file.")
    var scenario: String = "simulator/scenarios/demo-city.yaml"

    @Option(help: "The game's manifests, applied through the API.")
    var manifests: String = "manifests/mobile-game"

    @Option(help: "Write report.html and the raw data (CSV, JSON) to this directory.")
    var report: String?

    @Option(help: "How Flotilla's players reach their server: gateway (one public address; the sites' edge data gateways switch each flow as its session moves) or redirect (players follow moves themselves).")
    var dataPath: DataPathMode = .gateway

    @Option(help: "With --data-path gateway: milliseconds a gateway's hold may wait for the next datagram of a player's flow, so that a move begins in the gap after one (0: holds begin at once).")
    var holdAlignmentMs: Int = 50

    @Flag(help: "Keep everything running after the summary, until Ctrl-C.")
    var keepRunning = false

    @Option(help: "Fault injection: this site loses power mid-game (its API and game servers stop for good).")
    var failSite: String?

    @Option(help: "Seconds into the game when --fail-site fails (default: half the duration).")
    var failAfter: Double?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (players ?? 1) > 0 else { throw ValidationError("--players must be at least 1") }
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
        guard speed > 0, speed <= 100 else { throw ValidationError("--speed must be between 0 and 100") }
        guard (0...1000).contains(holdAlignmentMs) else { throw ValidationError("--hold-alignment-ms must be 0 to 1000") }
        if let failAfter {
            guard failSite != nil else { throw ValidationError("--fail-after needs --fail-site") }
            guard failAfter >= 0, failAfter < duration else { throw ValidationError("--fail-after must be within the --duration") }
        }
    }

    func run() async throws {
        var loaded: Scenario
        do {
            loaded = try Scenario.load(path: scenario)
        } catch {
            throw ValidationError("\(error)")
        }
        if let seed { loaded.seed = seed }
        guard loaded.sites.contains(where: { $0.cluster == "cloud" }) else {
            throw ValidationError("\(scenario) has no site with cluster \"cloud\" (the cloud-only baseline needs one)")
        }
        if let failSite, !loaded.sites.contains(where: { $0.cluster == failSite }) {
            throw ValidationError("--fail-site \(failSite) is not a site of \(scenario) (\(loaded.sites.map(\.cluster).joined(separator: ", ")))")
        }
        let network = AccessNetwork(scenario: loaded)
        let playing = Array(0..<network.ueCount).filter { ue in
            let population = network.status(of: ue).population
            return loaded.populations.first { $0.name == population }?.app == "mobile-game"
        }
        let players = self.players ?? Self.defaultPlayers
        guard playing.count >= players else {
            throw ValidationError("\(scenario) has \(playing.count) UEs of the app mobile-game; --players \(players) is more")
        }
        // Spread over the populations (walkers, riders, visitors), not the first N of one.
        let ues = (0..<players).map { playing[$0 * playing.count / players] }
        let operatorIndex = Dictionary(uniqueKeysWithValues: network.topology.operatorNames.enumerated().map { ($1, $0) })
        let operatorOf = Dictionary(uniqueKeysWithValues: ues.map { ue in
            (ue, operatorIndex[loaded.populations.first { $0.name == network.status(of: ue).population }?.operator ?? ""] ?? 0)
        })
        let siteIndex = Dictionary(uniqueKeysWithValues: network.topology.sites.enumerated().map { ($1.cluster, $0) })
        let operators = network.topology.operatorNames.count

        let interrupt = InterruptFlag()
        print("Flotilla \(Flotilla.version) demo: \(players) players × 3 strategies for \(format(duration)) s in \(loaded.name)")
        if self.players == nil, players != 100 {
            // Unoptimized code cannot carry the release build's 100 players in real time: it would measure the CPU.
            print("  (a debug build: \(players) players by default; `swift build -c release --product flotilla && "
                + ".build/release/flotilla demo` plays 100)")
        }
        let started = ContinuousClock.now
        func log(_ text: String) {
            print("[\(format(seconds(ContinuousClock.now - started), 1)) s] \(text)")
            fflush(nil)  // progress (and the dashboard URL) reaches a pipe now, not when the buffer fills
        }
        let environment = try await DemoEnvironment.start(scenario: loaded, network: network, speed: speed, log: log)
        do {
            try await play(environment, ues: ues, operatorOf: operatorOf, operators: operators, siteIndex: siteIndex,
                           interrupt: interrupt, log: log)
        } catch {
            print("demo stopped: \(error)")
            await environment.stop()
            throw ExitCode.failure
        }
        if keepRunning, !interrupt.isSet {
            print("Still running (Ctrl-C to stop). Dashboard: \(environment.dashboardURL)")
            print("  kubectl --kubeconfig \(environment.directory.path)/control-plane/admin.kubeconfig get "
                + "clusters,appsessions,sessionmigrations; access network at \(environment.simURL)")
            fflush(nil)
            while !interrupt.isSet { try? await Task.sleep(for: .milliseconds(200)) }
        }
        await environment.stop()
    }

    func play(_ environment: DemoEnvironment, ues: [Int], operatorOf: [Int: Int], operators: Int, siteIndex: [String: Int],
              interrupt: InterruptFlag, log: (String) -> Void) async throws {
        var documents = try environment.documents(directory: manifests)
        if dataPath == .redirect {
            // Without the gateways, the app has no public address: its players follow moves themselves.
            for i in documents.indices where documents[i].descriptor.kind == AppProfile.descriptor.kind {
                documents[i].object["spec"]?["dataPath"] = nil
            }
        }
        // The autoscaler goes on once the players are in (see manifests/mobile-game/autoscaler.yaml).
        let autoscalers = documents.filter { $0.descriptor.kind == FederatedHPA.descriptor.kind }
        let applied = try await environment.apply(documents.filter { $0.descriptor.kind != FederatedHPA.descriptor.kind })
        log("applied \(manifests) through the API: \(applied.joined(separator: ", "))")
        // Sized for the players, as an operator sizes for an event: the autoscaler's 20 players per server, the same
        // number of servers for every strategy.
        let servers = max(2, (ues.count + DemoPools.playersPerServer - 1) / DemoPools.playersPerServer)
        let pools = DemoPools(api: environment.api, registry: environment.mec.registry)
        try await pools.size(servers)
        let rollout = ContinuousClock.now
        // Ready twice in a row, 200 ms apart: the registry and the members' status agree and stay so.
        var readyInARow = 0
        while readyInARow < 2 {
            readyInARow = await pools.ready(servers) ? readyInARow + 1 : 0
            if readyInARow == 2 { break }
            guard ContinuousClock.now - rollout < .seconds(90) else {
                throw DemoError("the game servers did not all become ready in 90 s: \(await pools.describe())")
            }
            if interrupt.isSet { throw DemoError("interrupted during the rollout") }
            try await Task.sleep(for: .milliseconds(200))
        }
        log("rolled out: \(servers) game servers per strategy (the registry sees them through the members' Endpoints): \(await pools.describe())")
        let traffic = try await DemoTraffic.start(environment: environment, ues: ues, operatorOf: operatorOf, operators: operators,
                                                  siteIndex: siteIndex, mode: dataPath, holdAlignment: .milliseconds(holdAlignmentMs), log: log)
        if !autoscalers.isEmpty {
            _ = try await environment.apply(autoscalers)
            log("autoscaler on: FederatedHPA mobile-game (the baselines' servers follow its count)")
        }
        let following = pools.follow(since: traffic.fleet.startedAt)
        let playStart = ContinuousClock.now
        // The map for the report: sites, cells, and where each player is once a second.
        let runner = environment.runner
        let tracker = Task { () -> [[(x: Double, y: Double)]] in
            var tracks = Array(repeating: [(x: Double, y: Double)](), count: ues.count)
            while !Task.isCancelled {
                let now = await runner.withNetwork { network in ues.map { (x: network.positions[$0].x, y: network.positions[$0].y) } }
                for (i, p) in now.enumerated() { tracks[i].append(p) }
                try? await Task.sleep(for: .seconds(1))
            }
            return tracks
        }
        var lastProgress = playStart
        var previous: [UInt32: UInt32] = [:]
        var fault = failSite.map { DemoFault(site: $0, after: failAfter ?? duration / 2) }
        while ContinuousClock.now - playStart < .milliseconds(Int64(duration * 1000)), !interrupt.isSet {
            try? await Task.sleep(for: .milliseconds(250))
            if var pending = fault, !pending.injected, ContinuousClock.now - playStart >= .milliseconds(Int64(pending.after * 1000)) {
                await pending.inject(environment: environment, routes: traffic.routes, sessions: traffic.sessions)
                log(pending.announcement)
                fault = pending
            }
            guard ContinuousClock.now - lastProgress >= .seconds(5) else { continue }
            lastProgress = ContinuousClock.now
            var connected = 0
            for (session, acknowledged) in traffic.fleet.progress() {
                if acknowledged > previous[session] ?? 0 { connected += 1 }
                previous[session] = acknowledged
            }
            let migrations = (try? await environment.controlPlane.list(SessionMigration.descriptor, namespace: "default", options: .everything).items) ?? []
            let completed = migrations.filter { $0["status"]?["phase"] == "Completed" }.count
            log("playing: \(connected)/\(traffic.sessions.count) sessions progressing, \(completed) migrations so far"
                + (migrations.count > completed ? " (\(migrations.count - completed) other)" : "") + "; Flotilla's servers: \(await pools.describe(.flotilla))")
        }
        if interrupt.isSet { log("interrupted: stopping the players and summarising what was played") }
        tracker.cancel()
        let tracks = await tracker.value
        following.cancel()
        let replicas = await following.value
        let (reports, lost, why) = await traffic.stop(transport: environment.callbacks)
        let migrations = try await environment.controlPlane.list(SessionMigration.descriptor, namespace: "default", options: .everything).items
            .compactMap { try? SessionMigration(json: $0) }
        let app = await environment.mec.registry.app(namespace: "default", name: "mobile-game")
        let budget = app?.profile.spec.latencyBudgetMs ?? 30
        let protection: DemoProtection? = app?.profile.spec.sessionProtection?.standby == true
            ? await DemoProtection.measure(migrations: migrations, instances: app?.instances ?? [],
                                           sessions: traffic.sessions.filter { Strategy.of(session: $0).strategy == .flotilla }.count,
                                           seconds: seconds(ContinuousClock.now - playStart), transport: environment.callbacks)
            : nil
        let results = StrategyResult.summarize(reports, lost: lost, migrations: migrations, budgetMs: budget, fleetStartedAt: traffic.fleet.startedAt,
                                               handovers: traffic.paths.radioOutages())
        print("")
        print(StrategyResult.table(results, budgetMs: budget))
        if let counters = traffic.dataPath?.counters {
            print("Edge data gateways (--data-path gateway): \(counters.uplink) datagrams forwarded to the game servers, \(counters.downlink) answers back, "
                + "\(counters.held) held during moves, \(counters.dropped) dropped; \(counters.holdsAfterPacket) of the moves' holds began right after a "
                + "datagram, \(counters.holdsAtBound) at the wait's bound; no player was redirected "
                + "(\(reports.filter { Strategy.of(session: $0.key).strategy == .flotilla }.map(\.value.redirects).reduce(0, +)) redirects).")
        }
        if let fault, fault.injected { print(fault.effect(lost: lost)) }
        for session in lost.sorted().prefix(10) {
            let moves = migrations.filter { $0.spec.session == String(session) }
                .map { "\($0.spec.reason) \($0.spec.sourceSite ?? "?")→\($0.spec.targetSite) \($0.status?.phase ?? "")" }
            print("Lost: session \(session) (\(Strategy.of(session: session).strategy.title)): \(why[session] ?? "")"
                + "; its moves: \(moves.isEmpty ? "none" : moves.joined(separator: ", ")).")
        }
        if let protection { print(protection.summary) }
        if let report {
            let map = await runner.withNetwork { network in
                DemoReport.Map(width: network.topology.scenario.area.width, height: network.topology.scenario.area.height,
                    sites: network.topology.sites.map { (name: $0.cluster, x: $0.position.x, y: $0.position.y) },
                    cells: network.topology.cells.map { (x: $0.position.x, y: $0.position.y, rat: $0.rat.rawValue) }, tracks: [])
            }
            var withTracks = map
            withTracks.tracks = tracks
            let written = try DemoReport.write(to: URL(fileURLWithPath: report), results: results, reports: reports, migrations: migrations,
                                               budgetMs: budget, map: withTracks, playStartedAt: traffic.fleet.startedAt, replicas: replicas)
            log("report: \(written.path)")
        }
    }
}

/// Set by SIGINT or SIGTERM: the demo then stops what it started and still prints what was measured.
final class InterruptFlag {
    private let sources: [any DispatchSourceSignal]
    private let flag = Locked(false)

    init() {
        var sources: [any DispatchSourceSignal] = []
        let flag = self.flag
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { flag.withLock { $0 = true } }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    var isSet: Bool { flag.withLock { $0 } }
}
