import Foundation
@testable import AccessNetworkSim

/// Files in the repository and small scenarios built in code for focused tests.
enum TestScenarios {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { repository.appendingPathComponent(relative).path }

    static func demoCity() throws -> Scenario { try Scenario.load(path: path("simulator/scenarios/demo-city.yaml")) }

    /// Two cells on a line (`a` at x = 0, `b` at x = `spacing`), one UE on a route between `from` and `to`,
    /// no shadowing so that only geometry decides.
    static func twoCells(_ a: Scenario.Cell, _ b: Scenario.Cell, spacing: Double, from: Double, to: Double, speed: Double = 1,
                         end: Scenario.RouteEnd = .reverse, hysteresis: Double = 3, timeToTrigger: Double = 320,
                         operators: [String] = ["op"], roaming: [String] = []) -> Scenario {
        var a = a, b = b
        a.x = 0; a.y = 50
        b.x = spacing; b.y = 50
        return Scenario(name: "two-cells", seed: 5, area: .init(latitude: 45, longitude: 7, width: spacing, height: 100),
            operators: operators.map { .init(name: $0, mcc: "001", mnc: "01") }, zones: [.init(name: "z1"), .init(name: "z2")],
            cells: [a, b], sites: [], routes: [.init(name: "walk", waypoints: [[from, 50], [to, 50]], speed: speed, end: end)],
            populations: [.init(name: "ue", count: 1, operator: operators[0], roaming: roaming, ratPreference: [.nr, .lte, .wifi],
                mobility: .init(model: .route, speed: [speed, speed], routes: ["walk"]))],
            radio: .init(shadowing: false), handover: .init(hysteresisDb: hysteresis, timeToTriggerMs: timeToTrigger))
    }

    static func cell(_ name: String, _ rat: RAT, zone: String, operator op: String = "op", mode: HandoverMode? = nil) -> Scenario.Cell {
        Scenario.Cell(name: name, operator: op, zone: zone, rat: rat, x: 0, y: 0, handoverMode: mode)
    }
}

extension AccessNetwork {
    /// Puts every route-following UE at the start of its route (populations are otherwise spread along it).
    func startRoutesAtTheBeginning() {
        for ue in 0..<ueCount {
            guard case .route(let r) = mobility[ue].kind else { continue }
            positions[ue] = routes[r].points[0]
            mobility[ue].waypoint = 1
            mobility[ue].forward = true
        }
    }

    /// Runs `seconds` and returns the events.
    func events(running seconds: Double) -> [NetworkEvent] {
        var all: [NetworkEvent] = []
        let end = now + seconds
        while now + stepSeconds <= end + 1e-9 {
            step()
            all += drainEvents()
        }
        return all
    }
}
