import AccessNetworkSim
import ArgumentParser
import Foundation

/// `flotilla bench sim`: UE-steps per second of the access-network engine on one core, and notification fan-out.
struct SimBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Access-network engine: UE-steps/s (move + radio + handover check) and notification fan-out."
    )

    @Option(help: "Scenario file; default simulator/scenarios/large-scale.yaml (100,000 UEs, 1,000 cells).")
    var scenario: String = "simulator/scenarios/large-scale.yaml"

    @Option(help: "Steps to time (each moves every UE once).")
    var steps: Int = 30

    @Option(help: "Notifications to fan out in the subscription benchmark.")
    var notifications: Int = 50_000

    func run() async throws {
        let loaded = try Scenario.load(path: scenario)
        let setupStart = ContinuousClock.now
        let network = AccessNetwork(scenario: loaded)
        let setup = ContinuousClock.now - setupStart
        let reaches = network.topology.cells.map(\.reach).sorted()
        print("cell reach m: min \(Int(reaches.first ?? 0)) median \(Int(reaches[reaches.count / 2])) max \(Int(reaches.last ?? 0)); "
            + "cells per search square: \(format(network.topology.index.averageCandidates, 1))")
        // Warm-up: the first steps attach every UE.
        network.step()
        network.step()
        _ = network.drainEvents()
        let start = ContinuousClock.now
        var events = 0
        for _ in 0..<steps {
            network.step()
            events += network.drainEvents().count
        }
        let elapsed = ContinuousClock.now - start
        let ueSteps = Double(network.ueCount * steps)
        let rate = ueSteps / seconds(elapsed)
        print("engine: \(format(rate)) UE-steps/s; \(events) events in \(steps) steps")
        let ueCount = network.ueCount, cellCount = network.topology.cells.count, siteCount = network.topology.sites.count
        let stepSeconds = network.stepSeconds
        let fanOut = try await NotificationFanOutBench.run(network: network, notifications: notifications)
        printResults("flotilla bench sim (\(loaded.name): \(ueCount) UEs, \(cellCount) cells, "
            + "\(siteCount) sites; setup \(format(seconds(setup), 2)) s)", [
            BenchResult(name: "UE-steps/s (one core)", value: format(rate), target: ">= 1,000,000", met: rate >= 1_000_000),
            BenchResult(name: "handover events per simulated second", value: format(Double(events) / (Double(steps) * stepSeconds)),
                target: "-", met: nil),
            BenchResult(name: "notifications/s POSTed to callbacks (\(fanOut.subscribers) zonal subscriptions)",
                value: format(fanOut.callbackRate), target: ">= 10,000", met: fanOut.callbackRate >= 10_000),
            BenchResult(name: "notifications/s on /flotilla/v1/events (\(fanOut.streams) streams)",
                value: format(fanOut.streamRate), target: ">= 10,000", met: fanOut.streamRate >= 10_000),
            BenchResult(name: "RSS MB", value: format(residentMemoryMB(), 0), target: "-", met: nil),
        ])
    }
}
