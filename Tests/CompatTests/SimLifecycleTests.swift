import Foundation
import Testing

/// `flotilla sim` as a user runs it: one command serving the APIs, stopped by a signal even with a stream open;
/// a bad scenario is refused with its line; `--render` draws the scenario.
@Suite struct SimLifecycleTests {
    static let demoCity = URL(fileURLWithPath: examplesDirectory).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("simulator/scenarios/demo-city.yaml").path

    @Test(arguments: [SIGTERM, SIGINT])
    func servesAndStopsOnSignalWithAStreamOpen(signal: Int32) async throws {
        let sim = try BackgroundCommand(ServeLifecycleTests.flotilla, ["sim", "--scenario", Self.demoCity, "--speed", "20", "--log-level", "warning"])
        #expect(await sim.waitFor("listening on 127.0.0.1:"), "\(sim.text)")
        let port = try #require(sim.text.range(of: #"listening on 127\.0\.0\.1:\d+"#, options: .regularExpression)
            .map { String(sim.text[$0].split(separator: ":").last ?? "") })
        let stream = try BackgroundCommand("/usr/bin/env", ["curl", "-s", "-N", "http://127.0.0.1:\(port)/flotilla/v1/events"])
        #expect(await stream.waitFor("zonalPresenceNotification"), "\(stream.text)")
        let rtt = try await ProcessRunner.run("/usr/bin/env", ["curl", "-s", "http://127.0.0.1:\(port)/flotilla/v1/ues/10.0.0.1/rtt"])
        #expect(rtt.stdout.contains("\"rttMs\""), "\(rtt.combined)")
        kill(sim.process.processIdentifier, signal)
        let deadline = ContinuousClock.now + .seconds(15)
        while sim.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!sim.process.isRunning, "flotilla sim did not stop on signal \(signal)")
        sim.stop()
        stream.stop()
        #expect(sim.process.terminationStatus == 0)
    }

    @Test func badScenarioIsRefusedWithItsLine() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml").path
        let text = try String(contentsOfFile: Self.demoCity, encoding: .utf8).replacingOccurrences(of: "rat: 4G", with: "rat: 3.5G")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await ProcessRunner.run(ServeLifecycleTests.flotilla, ["sim", "--scenario", file])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(file):24:"), "\(result.combined)")
        #expect(result.stderr.contains("unknown value \"3.5G\""), "\(result.combined)")
    }

    @Test func rendersTheScenario() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("city-\(UUID().uuidString).svg").path
        let result = try await ProcessRunner.run(ServeLifecycleTests.flotilla, ["sim", "--scenario", Self.demoCity, "--render", out, "--duration", "60"])
        #expect(result.status == 0, "\(result.combined)")
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("site-harbour → edge-1"))
        #expect(svg.contains("<polyline"))
    }
}
