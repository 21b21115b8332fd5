import Testing
@testable import AccessNetworkSim

/// Path loss against values worked by hand from the formulas in ../shared/reference/mec-standards.md §4.5
/// (TR 38.901 UMa/UMi, TGax), e.g. UMa LOS at 100 m, 3.5 GHz, h_BS 25 m, h_UT 1.5 m:
/// d3D = √(100² + 23.5²) = 102.724 m; PL = 28 + 22·log10(102.724) + 20·log10(3.5) = 28 + 44.257 + 10.881 = 83.138 dB.
@Suite struct PathLossTests {
    struct Case: Sendable, CustomStringConvertible {
        var model: PropagationModel
        var d2D: Double
        var base: Double
        var frequency: Double
        var los: Bool
        var expected: Double
        var description: String { "\(model.rawValue) \(los ? "LOS" : "NLOS") \(d2D) m \(frequency) GHz" }
    }

    static let cases: [Case] = [
        Case(model: .uma, d2D: 100, base: 25, frequency: 3.5, los: true, expected: 83.138),
        // Beyond the breakpoint d'BP = 4·24·0.5·3.5e9/c = 560.4 m.
        Case(model: .uma, d2D: 1000, base: 25, frequency: 3.5, los: true, expected: 109.406),
        Case(model: .uma, d2D: 500, base: 25, frequency: 3.5, los: false, expected: 129.916),
        Case(model: .uma, d2D: 500, base: 25, frequency: 1.8, los: false, expected: 124.140),
        Case(model: .umi, d2D: 50, base: 10, frequency: 3.5, los: true, expected: 79.090),
        Case(model: .umi, d2D: 200, base: 10, frequency: 3.5, los: false, expected: 115.229),
        // TGax: 40.05 + 20·log10(5.2/2.4) + 20·log10(min(d, 10)) + 35·log10(d/10) beyond 10 m.
        Case(model: .indoorWiFi, d2D: 5, base: 1.5, frequency: 5.2, los: true, expected: 60.745),
        Case(model: .indoorWiFi, d2D: 30, base: 1.5, frequency: 5.2, los: true, expected: 83.465),
    ]

    @Test(arguments: cases)
    func pathLossMatchesTheFormula(_ c: Case) {
        let loss = c.model.pathLoss(d2D: c.d2D, baseHeight: c.base, ueHeight: 1.5, frequencyGHz: c.frequency, los: c.los)
        #expect(abs(loss - c.expected) < 0.001, "\(c): \(loss)")
    }

    @Test func nlosIsNeverBelowLOS() {
        for d in stride(from: 10.0, through: 5000, by: 37) {
            for model in [PropagationModel.uma, .umi] {
                let los = model.pathLoss(d2D: d, baseHeight: 25, ueHeight: 1.5, frequencyGHz: 3.5, los: true)
                let nlos = model.pathLoss(d2D: d, baseHeight: 25, ueHeight: 1.5, frequencyGHz: 3.5, los: false)
                #expect(nlos >= los)
            }
        }
    }

    @Test func losProbability() {
        // 18/d + exp(-d/63)(1 - 18/d) at 100 m = 0.18 + 0.2045·0.82 = 0.3477 (UMa); exp(-d/36) for UMi = 0.2310.
        #expect(abs(PropagationModel.uma.losProbability(d2D: 100) - 0.34767) < 1e-4)
        #expect(abs(PropagationModel.umi.losProbability(d2D: 100) - 0.23098) < 1e-4)
        #expect(PropagationModel.uma.losProbability(d2D: 18) == 1)
    }

    /// The engine's folded arithmetic (`CellRadio`) gives the same signal as the reference form, shadowing included.
    @Test func engineSignalEqualsTheReference() throws {
        let scenario = try Scenario.load(path: "simulator/scenarios/demo-city.yaml")
        let network = AccessNetwork(scenario: scenario)
        var rng = SplitMix64(seed: 3)
        for _ in 0..<2000 {
            let cell = Int(rng.next() % UInt64(network.topology.cells.count))
            let point = Point(x: rng.uniform(0, 3000), y: rng.uniform(0, 2000))
            let reference = network.budget.signal(from: network.topology.cells[cell], at: point)
            let fast = network.budget.signal(network.cellRadio[cell], x: point.x, y: point.y)
            #expect(abs(reference - fast) < 1e-6, "cell \(network.topology.cells[cell].name) at \(point): \(reference) vs \(fast)")
        }
    }

    /// Shadowing is a property of the place: the same spot gives the same value, a step away a close one, and
    /// over many places its spread is the model's σ.
    @Test func shadowingIsSpatiallyConsistent() {
        let budget = LinkBudget(seed: 9, environment: RadioEnvironment(nil))
        var values: [Double] = []
        var largestStepChange = 0.0
        for i in 0..<5000 {
            let x = Double(i) * 1.0
            let here = budget.shadowing(cell: 1, x: x / 50, y: 0.3, salt: 2)
            let again = budget.shadowing(cell: 1, x: x / 50, y: 0.3, salt: 2)
            let next = budget.shadowing(cell: 1, x: (x + 1) / 50, y: 0.3, salt: 2)
            #expect(here == again)
            largestStepChange = max(largestStepChange, abs(next - here))
            values.append(here)
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        #expect(largestStepChange < 0.5, "a 1 m step moved the field by \(largestStepChange) σ")
        #expect(deviation > 0.7 && deviation < 1.3, "unit variance expected, got σ = \(deviation)")
    }
}
