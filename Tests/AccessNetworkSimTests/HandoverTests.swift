import Testing
@testable import AccessNetworkSim

@Suite struct HandoverTests {
    /// A UE pacing ±2 m around the midpoint between two WiFi APs 60 m apart: the signals differ by about 2 dB at
    /// most, so with a 3 dB hysteresis and 320 ms time-to-trigger it stays put; with neither it hands over at
    /// every crossing (ping-pong).
    @Test func hysteresisAndTimeToTriggerPreventPingPong() {
        func handovers(hysteresis: Double, timeToTrigger: Double) -> Int {
            let scenario = TestScenarios.twoCells(TestScenarios.cell("a", .wifi, zone: "z1"), TestScenarios.cell("b", .wifi, zone: "z1"),
                spacing: 60, from: 28, to: 32, speed: 0.5, hysteresis: hysteresis, timeToTrigger: timeToTrigger)
            let network = AccessNetwork(scenario: scenario)
            return network.events(running: 120).filter { $0.kind == .handoverStarted }.count
        }
        let damped = handovers(hysteresis: 3, timeToTrigger: 320)
        let undamped = handovers(hysteresis: 0, timeToTrigger: 0)
        #expect(damped == 0)
        #expect(undamped >= 10, "\(undamped) handovers without hysteresis")
    }

    /// Time-to-trigger: the neighbour must stay better for 320 ms before the handover starts.
    @Test func timeToTriggerDelaysTheHandover() {
        let scenario = TestScenarios.twoCells(TestScenarios.cell("a", .lte, zone: "z1"), TestScenarios.cell("b", .lte, zone: "z1"),
            spacing: 1000, from: 100, to: 100, end: .stop)
        let network = AccessNetwork(scenario: scenario)
        _ = network.events(running: 1)
        #expect(network.status(of: 0).servingCell == 0)
        let jumped = network.now
        network.move(ue: 0, to: Point(x: 950, y: 50), speed: 0)
        let started = network.events(running: 2).first { $0.kind == .handoverStarted }
        let delay = (started?.time ?? .infinity) - jumped
        #expect(delay >= 0.32 && delay <= 0.6, "started \(delay) s after the jump")
    }

    struct InterruptionCase: Sendable, CustomStringConvertible {
        var from: RAT
        var to: RAT
        var mode: HandoverMode?
        var otherOperator = false
        var range: ClosedRange<Double>
        var description: String { "\(from.rawValue)→\(to.rawValue) \(mode?.rawValue ?? "hard")\(otherOperator ? " other operator" : "")" }
    }

    static let interruptionCases: [InterruptionCase] = [
        InterruptionCase(from: .lte, to: .lte, range: 30...60),
        InterruptionCase(from: .nr, to: .nr, range: 20...50),
        InterruptionCase(from: .nr, to: .nr, mode: .daps, range: 0...0),
        InterruptionCase(from: .wifi, to: .wifi, range: 50...100),
        InterruptionCase(from: .lte, to: .lte, otherOperator: true, range: 300...600),
    ]

    /// Walking from one cell to the other: exactly the RAT's interruption, traffic stops for it, and the UE is
    /// attached to the target afterwards.
    @Test(arguments: interruptionCases)
    func interruptionTimePerRAT(_ c: InterruptionCase) {
        let spacing = c.from == .wifi ? 120.0 : (c.from == .nr ? 500.0 : 1000.0)
        var gaps: [Double] = []
        for seed in 0..<8 {
            var scenario = TestScenarios.twoCells(
                TestScenarios.cell("a", c.from, zone: "z1"),
                TestScenarios.cell("b", c.to, zone: "z2", operator: c.otherOperator ? "other" : "op", mode: c.mode),
                spacing: spacing, from: spacing * 0.05, to: spacing * 0.95, speed: c.from == .wifi ? 2 : 15, end: .stop,
                operators: ["op", "other"], roaming: c.otherOperator ? ["other"] : [])
            scenario.seed = UInt64(seed)
            let network = AccessNetwork(scenario: scenario)
            network.startRoutesAtTheBeginning()
            let events = network.events(running: 90)
            guard let start = events.first(where: { $0.kind == .handoverStarted }),
                  let end = events.first(where: { $0.kind == .handoverCompleted }) else {
                Issue.record("\(c): no handover in \(events)")
                return
            }
            #expect(start.from == 0 && start.to == 1)
            #expect(abs((end.time - start.time) * 1000 - start.interruptionMs) < 1e-6)
            #expect(network.status(of: 0).servingCell == 1)
            gaps.append(start.interruptionMs)
        }
        #expect(gaps.allSatisfy { c.range.contains($0) }, "\(c): \(gaps)")
    }

    /// While the interruption lasts the UE has no serving cell and no predicted RTT.
    @Test func noTrafficDuringTheInterruption() {
        var scenario = TestScenarios.twoCells(TestScenarios.cell("a", .wifi, zone: "z1"), TestScenarios.cell("b", .wifi, zone: "z1"),
            spacing: 120, from: 10, to: 110, speed: 2, end: .stop)
        scenario.sites = [.init(name: "s", cluster: "edge-1", x: 60, y: 50, zones: ["z1"])]
        let network = AccessNetwork(scenario: scenario)
        network.startRoutesAtTheBeginning()
        var sawGap = false
        for _ in 0..<600 {
            network.step()
            for event in network.drainEvents() where event.kind == .handoverStarted {
                #expect(network.status(of: 0).servingCell == nil)
                #expect(network.status(of: 0).handoverTarget == 1)
                #expect(network.predictRTT(ue: 0, site: 0) == nil)
                sawGap = true
            }
        }
        #expect(sawGap)
        #expect(network.predictRTT(ue: 0, site: 0) != nil)
    }

    /// A UE that walks out of every cell loses coverage after the radio-link-failure timer and re-attaches when
    /// it comes back.
    @Test func coverageLossAndReattach() {
        let scenario = TestScenarios.twoCells(TestScenarios.cell("a", .wifi, zone: "z1"), TestScenarios.cell("b", .wifi, zone: "z2"),
            spacing: 2000, from: 10, to: 1000, speed: 20)
        let network = AccessNetwork(scenario: scenario)
        let events = network.events(running: 200)
        let kinds = events.map(\.kind)
        #expect(kinds.first == .attached)
        #expect(kinds.contains(.coverageLost))
        let lost = try? #require(events.firstIndex { $0.kind == .coverageLost })
        #expect(events[(lost ?? 0)...].contains { $0.kind == .attached }, "re-attaches on the way back")
    }

    /// A more preferred RAT is taken when it becomes usable (inter-RAT), a less preferred one only when needed.
    @Test func prefersTheRATListedFirst() {
        let scenario = TestScenarios.twoCells(TestScenarios.cell("lte", .lte, zone: "z1"), TestScenarios.cell("nr", .nr, zone: "z1"),
            spacing: 600, from: 300, to: 300, end: .stop)
        let network = AccessNetwork(scenario: scenario)
        _ = network.events(running: 3)
        // Preference is [5G, 4G, WiFi]: at the midpoint both are usable, and 5G wins though 4G is stronger.
        #expect(network.status(of: 0).servingCell == 1)
    }
}

@Suite struct DeterminismTests {
    static func log(seed: UInt64) throws -> [NetworkEvent] {
        let network = AccessNetwork(scenario: try TestScenarios.demoCity(), seed: seed)
        network.log = []
        network.run(until: 120)
        return network.log ?? []
    }

    @Test func sameSeedSameEventLog() throws {
        let first = try Self.log(seed: 42)
        let second = try Self.log(seed: 42)
        #expect(first.count > 200)
        #expect(first == second)
        #expect(try Self.log(seed: 43) != first)
    }
}
