import Foundation

/// Expands `generate:` into a large scenario: per operator a jittered grid of macro cells (alternating 4G and
/// 5G) with a fraction of WiFi hotspots, zones as a grid of blocks, sites each local to the zones nearest to it,
/// and random-waypoint UEs spread over the operators. Same parameters and seed, same scenario.
struct ScenarioGenerator {
    let parameters: Scenario.GeneratorParameters
    let seed: UInt64

    init(parameters: Scenario.GeneratorParameters, seed: UInt64) {
        self.parameters = parameters
        self.seed = seed
    }

    func expand(_ base: Scenario) -> Scenario {
        var scenario = base
        scenario.generate = nil
        var rng = SplitMix64(seed: Hash64.combine(seed, 101, 0, 0))
        let width = base.area.width, height = base.area.height

        // Zones: a grid of blocks.
        let zoneColumns = max(1, Int(Double(parameters.zones).squareRoot().rounded(.up)))
        let zoneRows = max(1, (parameters.zones + zoneColumns - 1) / zoneColumns)
        func zoneName(_ column: Int, _ row: Int) -> String { "gen-zone-\(min(parameters.zones - 1, row * zoneColumns + column) + 1)" }
        func zone(at x: Double, _ y: Double) -> String {
            zoneName(min(zoneColumns - 1, Int(x / width * Double(zoneColumns))), min(zoneRows - 1, Int(y / height * Double(zoneRows))))
        }
        let zoneNames = (1...parameters.zones).map { "gen-zone-\($0)" }
        scenario.zones += zoneNames.map(Scenario.Zone.init)

        // Operators and their cells.
        for o in 0..<parameters.operators {
            let name = "gen-op-\(o + 1)"
            scenario.operators.append(.init(name: name, mcc: "001", mnc: String(format: "%02d", o + 1)))
            let count = parameters.cellsPerOperator
            let columns = max(1, Int((Double(count) * width / height).squareRoot().rounded(.up)))
            let rows = max(1, (count + columns - 1) / columns)
            let dx = width / Double(columns), dy = height / Double(rows)
            for i in 0..<count {
                let x = min(width, max(0, (Double(i % columns) + rng.uniform(0.25, 0.75)) * dx))
                let y = min(height, max(0, (Double(i / columns) + rng.uniform(0.25, 0.75)) * dy))
                let wifi = rng.unit() < (parameters.wifiFraction ?? 0.2)
                let rat: RAT = wifi ? .wifi : (i % 2 == 0 ? .lte : .nr)
                scenario.cells.append(.init(name: "\(name)-cell-\(i + 1)", operator: name, zone: zone(at: x, y), rat: rat, x: x, y: y,
                    frequencyGHz: rat == .wifi ? [5.18, 5.2, 5.22, 5.24][i % 4] : nil))
            }
        }

        // Sites on a grid; each zone is local to its nearest site, everything else is one metro hop away.
        let siteColumns = max(1, Int(Double(parameters.sites).squareRoot().rounded(.up)))
        let siteRows = max(1, (parameters.sites + siteColumns - 1) / siteColumns)
        var sites: [Scenario.Site] = []
        for s in 0..<parameters.sites {
            let x = (Double(s % siteColumns) + 0.5) * width / Double(siteColumns)
            let y = (Double(s / siteColumns) + 0.5) * height / Double(siteRows)
            sites.append(.init(name: "gen-site-\(s + 1)", cluster: "gen-site-\(s + 1)", x: x, y: y, zones: [],
                backhaul: .init(localMs: 1, otherMs: 8, jitterMs: 0.5)))
        }
        for z in 0..<parameters.zones {
            let centre = Point(x: (Double(z % zoneColumns) + 0.5) * width / Double(zoneColumns),
                y: (Double(z / zoneColumns) + 0.5) * height / Double(zoneRows))
            let nearest = sites.indices.min { centre.distance(to: Point(x: sites[$0].x, y: sites[$0].y))
                < centre.distance(to: Point(x: sites[$1].x, y: sites[$1].y)) } ?? 0
            sites[nearest].zones.append(zoneNames[z])
        }
        scenario.sites += sites

        // UEs: walkers and vehicles spread over the operators.
        let perOperator = parameters.ues / parameters.operators
        for o in 0..<parameters.operators {
            let count = perOperator + (o < parameters.ues % parameters.operators ? 1 : 0)
            scenario.populations.append(.init(name: "gen-ues-\(o + 1)", count: count, operator: "gen-op-\(o + 1)",
                ratPreference: [.wifi, .nr, .lte], mobility: .init(model: .randomWaypoint, speed: [1, 15], pause: [0, 60])))
        }
        return scenario
    }
}
