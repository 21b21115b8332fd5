import FlotillaAPI
import Testing
@testable import AccessNetworkSim

@Suite struct ScenarioTests {
    @Test func demoCityIsWhatTheIssueAsksFor() throws {
        let scenario = try TestScenarios.demoCity()
        #expect(scenario.operators.count == 3)
        #expect(Set(scenario.cells.map(\.rat)) == [.lte, .nr, .wifi])
        #expect(scenario.sites.filter { $0.cluster.hasPrefix("edge-") }.count == 6)
        #expect(scenario.populations.reduce(0) { $0 + $1.count } == 290)
        #expect(scenario.populations.contains { $0.mobility.model == .route })
        // Riders across zones at 10–30 m/s, and a flash crowd converging on the stadium.
        #expect(scenario.populations.contains { ($0.mobility.speed?.max() ?? 0) >= 25 })
        let fans = try #require(scenario.populations.first { $0.name == "beta-fans" })
        let ends = Set((fans.mobility.routes ?? []).compactMap { name in scenario.routes?.first { $0.name == name }?.waypoints.last })
        #expect(ends.allSatisfy { abs($0[0] - 2490) < 40 && abs($0[1] - 1500) < 50 } && ends.count == 3)
    }

    @Test func largeScaleIsGeneratedFromParameters() throws {
        let scenario = try Scenario.load(path: TestScenarios.path("simulator/scenarios/large-scale.yaml"))
        #expect(scenario.cells.count == 1000)
        #expect(scenario.sites.count == 100)
        #expect(scenario.populations.reduce(0) { $0 + $1.count } == 100_000)
        #expect(Set(scenario.cells.map(\.rat)) == [.lte, .nr, .wifi])
        // Every zone is local to some site.
        #expect(Set(scenario.sites.flatMap(\.zones)) == Set(scenario.zones.map(\.name)))
        // Same parameters, same scenario.
        let again = try Scenario.load(path: TestScenarios.path("simulator/scenarios/large-scale.yaml"))
        #expect(again.cells.map(\.x) == scenario.cells.map(\.x))
    }

    static let valid = """
        version: flotilla.io/scenario/v1
        name: tiny
        area: {latitude: 45, longitude: 7, width: 1000, height: 1000}
        operators:
          - {name: op, mcc: "001", mnc: "01"}
        zones:
          - {name: z1}
        cells:
          - {name: c1, operator: op, zone: z1, rat: 4G, x: 100, y: 100}
        sites:
          - {name: s1, cluster: edge-1, x: 500, y: 500, zones: [z1]}
        populations:
          - {name: p, count: 3, operator: op, mobility: {model: static}}
        """

    struct BadCase: Sendable, CustomStringConvertible {
        var name: String
        var replace: String
        var with: String
        var line: Int
        var message: String
        var description: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(name: "unknown RAT", replace: "rat: 4G", with: "rat: 6G", line: 9, message: "unknown value \"6G\""),
        BadCase(name: "cell outside the area", replace: "x: 100, y: 100", with: "x: 1500, y: 100", line: 9, message: "outside the area"),
        BadCase(name: "negative power", replace: "x: 100, y: 100}", with: "x: 100, y: 100, txPowerDbm: -3}", line: 9,
            message: "between 0 and 60 dBm"),
        BadCase(name: "site serving an unknown zone", replace: "zones: [z1]", with: "zones: [z9]", line: 11, message: "no zone named \"z9\""),
        BadCase(name: "duplicate names", replace: "  - {name: z1}\n", with: "  - {name: z1}\n  - {name: z1}\n", line: 8,
            message: "duplicate name \"z1\""),
        BadCase(name: "unknown field", replace: "name: tiny", with: "name: tiny\nweather: rain", line: 3, message: "unknown field"),
        BadCase(name: "wrong version", replace: "scenario/v1", with: "scenario/v9", line: 1, message: "unsupported version"),
        BadCase(name: "measurement too often", replace: "name: tiny", with: "name: tiny\nmeasurement: {reportIntervalMs: 5}", line: 3,
            message: "between 10 and 10000 ms"),
        BadCase(name: "route model without a route", replace: "model: static", with: "model: route", line: 13,
            message: "needs at least one route"),
    ]

    @Test func validScenarioLoads() throws {
        let scenario = try Scenario.parse(yaml: Self.valid, file: "tiny.yaml")
        #expect(scenario.cells.count == 1)
    }

    @Test(arguments: badCases)
    func badScenarioIsRejectedWithItsPosition(_ bad: BadCase) throws {
        let text = Self.valid.replacingOccurrences(of: bad.replace, with: bad.with)
        #expect(text != Self.valid)
        do {
            _ = try Scenario.parse(yaml: text, file: "tiny.yaml")
            Issue.record("\(bad.name) was accepted")
        } catch {
            let first = try #require(error.problems.first)
            #expect(error.description.contains(bad.message), "\(error)")
            #expect(first.position?.line == bad.line, "\(error)")
            #expect(error.description.hasPrefix("tiny.yaml:\(bad.line):"), "\(error)")
        }
    }

    /// With `measurement`, a UE's reported round trips are a report: fixed between grid points, a noisy draw around
    /// the mean, the same for the same seed.
    @Test func measuredRoundTripsAreNoisyPeriodicReports() throws {
        let scenario = try Scenario.parse(yaml: Self.valid.replacingOccurrences(of: "name: tiny", with: "name: tiny\nmeasurement: {reportIntervalMs: 500}"),
                                          file: "tiny.yaml")
        let network = AccessNetwork(scenario: scenario)
        network.run(until: 1.0)
        let first = network.reportedSites(ue: 0)
        let mean = try #require(network.rankedSites(ue: 0).first)
        let reported = try #require(first.first)
        #expect(reported.rttMs != mean.rttMs && abs(reported.rttMs - mean.rttMs) < 6 * mean.jitterMs, "\(reported.rttMs) vs \(mean.rttMs)")
        network.run(until: 1.4)
        #expect(network.reportedSites(ue: 0).first?.rttMs == reported.rttMs, "unchanged within the interval")
        network.run(until: 1.6)
        #expect(network.reportedSites(ue: 0).first?.rttMs != reported.rttMs, "a new report at 1.5 s")
        let again = AccessNetwork(scenario: scenario)
        again.run(until: 1.0)
        #expect(again.reportedSites(ue: 0).first?.rttMs == reported.rttMs)
        // Without the block, the model's mean.
        let plain = AccessNetwork(scenario: try Scenario.parse(yaml: Self.valid, file: "tiny.yaml"))
        plain.run(until: 1.0)
        #expect(plain.reportedSites(ue: 0).first?.rttMs == plain.rankedSites(ue: 0).first?.rttMs)
    }

    @Test func invalidYAMLNamesTheLine() {
        do {
            _ = try Scenario.parse(yaml: "version: x\nname: [unclosed\n", file: "broken.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("broken.yaml:"), "\(error)")
            #expect(error.description.contains("invalid YAML"), "\(error)")
        }
    }
}
