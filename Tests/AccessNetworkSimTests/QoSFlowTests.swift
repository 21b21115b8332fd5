import Testing
@testable import AccessNetworkSim

/// QoS on demand in the engine: what a low-latency flow gives per RAT, admission per cell, its capacity cost, and
/// the reservation following the UE through handovers (kept, lost on WiFi, taken again).
@Suite struct QoSFlowTests {
    /// Two cells 1 km apart with a site local to both zones; `count` UEs standing at x = 100.
    static func network(_ a: RAT, _ b: RAT, count: Int = 1, spacing: Double = 1000, preference: [RAT]? = nil) -> AccessNetwork {
        var scenario = TestScenarios.twoCells(TestScenarios.cell("a", a, zone: "z1"), TestScenarios.cell("b", b, zone: "z2"),
            spacing: spacing, from: 100, to: 100, end: .stop)
        scenario.sites = [.init(name: "s", cluster: "edge-1", x: 50, y: 50, zones: ["z1", "z2"], backhaul: .init(localMs: 2, jitterMs: 0.5))]
        scenario.populations[0].count = count
        if let preference { scenario.populations[0].ratPreference = preference }
        let network = AccessNetwork(scenario: scenario)
        _ = network.events(running: 1)
        return network
    }

    struct Case: Sendable, CustomStringConvertible {
        var rat: RAT
        var access: Double?
        var description: String { rat.rawValue }
    }

    /// 4G: 20 → 10 ms (pre-allocated grants); 5G: 12 → 6 ms; WiFi cannot give it.
    @Test(arguments: [Case(rat: .lte, access: 10), Case(rat: .nr, access: 6), Case(rat: .wifi, access: nil)])
    func aLowLatencyFlowCutsTheAccessRoundTripWhereTheRATCanGiveOne(_ c: Case) throws {
        let network = Self.network(c.rat, c.rat, spacing: c.rat == .wifi ? 200 : 1000)
        let before = try #require(network.predictRTT(ue: 0, site: 0))
        let granted = network.requestLowLatency(ue: 0)
        let after = try #require(network.predictRTT(ue: 0, site: 0))
        #expect(granted == (c.access != nil))
        #expect(network.drainQoSChanges().map(\.guaranteed) == (c.access != nil ? [true] : []))
        if let access = c.access {
            #expect(after.accessMs == access)
            #expect(after.rttMs == before.rttMs - (before.accessMs - access))
            #expect(after.jitterMs < before.jitterMs)
            #expect(network.status(of: 0).lowLatency)
        } else {
            #expect(after.rttMs == before.rttMs)
        }
        network.releaseLowLatency(ue: 0)
        #expect(network.predictRTT(ue: 0, site: 0)?.rttMs == before.rttMs)
    }

    /// A 4G cell admits 8 flows; the ninth waits and gets its reservation as soon as one is released. Each reserved
    /// flow takes 4 % of the cell from everyone's best-effort throughput.
    @Test func aCellAdmitsItsShareAndTheNextWaits() throws {
        let network = Self.network(.lte, .lte, count: 9)
        let alone = try #require(network.status(of: 0).throughputBps)
        let granted = (0..<9).map { network.requestLowLatency(ue: $0) }
        #expect(granted == Array(repeating: true, count: 8) + [false])
        #expect(network.lowLatencyFlows[0] == 8)
        let shared = try #require(network.status(of: 0).throughputBps)
        #expect(abs(shared / alone - 0.68) < 1e-9, "\(shared / alone)")
        _ = network.drainQoSChanges()
        network.releaseLowLatency(ue: 3)
        network.step()
        #expect(network.drainQoSChanges().map { [$0.ue: $0.guaranteed] } == [[3: false], [8: true]])
        #expect(network.hasLowLatency(ue: 8) && !network.hasLowLatency(ue: 3))
    }

    /// The reservation follows the UE: 4G → 4G keeps it; onto WiFi it is lost; back on 4G it is taken again.
    @Test func theReservationFollowsTheUEThroughHandovers() throws {
        let network = Self.network(.lte, .lte)
        #expect(network.requestLowLatency(ue: 0))
        _ = network.drainQoSChanges()
        network.move(ue: 0, to: Point(x: 950, y: 50), speed: 0)
        let events = network.events(running: 3)
        #expect(events.contains { $0.kind == .handoverCompleted && $0.to == 1 })
        #expect(network.hasLowLatency(ue: 0))
        #expect(network.lowLatencyFlows == [0, 1])
        #expect(network.drainQoSChanges().isEmpty, "a 4G → 4G handover keeps the flow")

        let wifi = Self.network(.lte, .wifi, spacing: 300, preference: [.wifi, .lte])
        #expect(wifi.status(of: 0).servingCell == 0)
        #expect(wifi.requestLowLatency(ue: 0))
        _ = wifi.drainQoSChanges()
        wifi.move(ue: 0, to: Point(x: 295, y: 50), speed: 0)
        _ = wifi.events(running: 3)
        #expect(wifi.status(of: 0).servingCell == 1)
        #expect(wifi.drainQoSChanges().map(\.guaranteed) == [false])
        #expect(!wifi.hasLowLatency(ue: 0))
        wifi.move(ue: 0, to: Point(x: 5, y: 50), speed: 0)
        _ = wifi.events(running: 5)
        #expect(wifi.status(of: 0).servingCell == 0)
        #expect(wifi.drainQoSChanges().map(\.guaranteed) == [true])
        #expect(wifi.hasLowLatency(ue: 0))
    }
}
