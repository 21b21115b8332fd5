import AccessNetworkSim
import ArgumentParser
import FlotillaAPI
import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle

/// `flotilla sim`: the simulated 4G/5G/WiFi access network with its ETSI-shaped APIs.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run the simulated multi-operator access network and serve MEC 013/012-shaped APIs.",
        discussion: """
            Loads and validates a scenario (simulator/scenarios/*.yaml), runs UEs through it (mobility, path loss, \
            handover) paced at --speed × real time, and serves on 127.0.0.1:
              /location/v2/…   MEC 013 users, zones, access points, distance, zonal-traffic and user-tracking subscriptions
              /rni/v2/…        MEC 012 rab_info and cell-change subscriptions
              /flotilla/v1/…   predicted RTT per site (ues/ADDR/rtt, rtt?x=&y=), topology, UE status, events stream, control
            Stop with Ctrl-C (SIGINT) or SIGTERM. Check a scenario by eye with --render out.svg (no server).
              flotilla sim --scenario simulator/scenarios/demo-city.yaml --port 8090
              curl 'http://127.0.0.1:8090/flotilla/v1/ues/10.0.0.1/rtt'
            """
    )

    @Option(help: "Scenario YAML file.")
    var scenario: String = "simulator/scenarios/demo-city.yaml"

    @Option(help: "Port on 127.0.0.1 (0 picks a free one).")
    var port: Int = 0

    @Option(help: "Simulated seconds per real second; 0 runs as fast as possible.")
    var speed: Double = 1

    @Option(help: "Random seed (default: the scenario's).")
    var seed: UInt64?

    @Flag(help: "Start paused (advance with POST /flotilla/v1/control/step?seconds=N).")
    var paused = false

    @Option(help: "Write an SVG of the scenario with UE tracks to this file and exit.")
    var render: String?

    @Flag(help: "Print the scenario's zone → cluster round trips as a LatencyMatrix (YAML for kubectl apply) and exit.")
    var latencyMatrix = false

    @Option(help: "Simulated seconds of UE tracks to draw with --render.")
    var duration: Double = 300

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard speed >= 0, speed <= 10_000 else { throw ValidationError("--speed must be between 0 and 10000") }
        guard duration > 0, duration <= 86_400 else { throw ValidationError("--duration must be between 0 and 86400 seconds") }
    }

    func run() async throws {
        let loaded: Scenario
        do {
            loaded = try Scenario.load(path: scenario)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        let network = AccessNetwork(scenario: loaded, seed: seed)
        if latencyMatrix {
            print(YAMLCodec.encode(AccessNetworkAPI.latencyMatrix(network)), terminator: "")
            return
        }
        if let render {
            let svg = ScenarioRenderer(network: network).render(seconds: duration)
            try svg.write(toFile: render, atomically: true, encoding: .utf8)
            print("wrote \(render): \(network.topology.cells.count) cells, \(network.topology.sites.count) sites, \(network.ueCount) UEs, \(Int(duration)) s")
            return
        }
        let logger = global.logger("flotilla.sim")
        let client = HTTPNotificationSender.makeClient()
        let hub = NotificationHub(sender: HTTPNotificationSender(client: client))
        let scenarioName = loaded.name
        let ueCount = network.ueCount
        let runner = SimulationRunner(network: network, hub: hub, speed: speed, paused: paused)
        let server = AccessNetworkServer(runner: runner, port: port, logger: logger) { port in
            FileHandle.standardOutput.write(Data(
                "access network \"\(scenarioName)\" (\(ueCount) UEs) listening on 127.0.0.1:\(port)\n".utf8))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        logger.notice("stopped")
    }
}
