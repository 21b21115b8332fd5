import Foundation
import HeapModule

/// The simulated access network: UEs moving, measuring cells and handing over, stepped in fixed increments of
/// simulated time with handover completions as timed events in between. Deterministic: the same scenario and
/// seed give the same event log. Not thread-safe; one owner (a `SimulationRunner`, a test, a benchmark) drives it.
public final class AccessNetwork {
    public let topology: Topology
    public let budget: LinkBudget
    public let seed: UInt64
    /// Simulated seconds per step.
    public let stepSeconds: Double
    public private(set) var now: Double = 0
    public private(set) var steps = 0
    let routes: [CompiledRoute]

    // UEs, as parallel arrays (index = UE number).
    public let addresses: [String]
    public let populationOf: [Int]
    public let populationNames: [String]
    public let appOf: [String?]
    public internal(set) var positions: [Point]
    /// Each UE's velocity over the last step (m/s, x east and y north); zero for a UE that stood still or jumped.
    public internal(set) var velocities: [Point]
    /// Each UE's last measurement report (its grid slot and sites), when the scenario asks for measurements.
    var measurements: [Int: (slot: Int, sites: [RTTPrediction])] = [:]
    var mobility: [Mobility]
    var rngs: [SplitMix64]
    var radio: [UERadio]
    /// UEs attached to each cell.
    public internal(set) var attachedCount: [Int]
    let addressIndex: [String: Int]
    let cellRadio: [CellRadio]

    // Per population: the tier of each RAT (0 = most preferred, -1 = never) and the operators it may use.
    let ratTier: [[Int8]]
    let allowedOperators: [[Bool]]

    /// Low-latency QoS on demand (`QoSFlows.swift`): per UE, how many requests it has and the cell that holds its
    /// reservation (-1 none); per cell, the reservations it holds; the changes not yet drained.
    var lowLatencyRequests: [Int: Int] = [:]
    var lowLatencyCell: [Int32]
    public internal(set) var lowLatencyFlows: [Int]
    var qosChanges: [QoSChange] = []

    var pending = Heap<PendingCompletion>()
    var sequence = 0
    var events: [NetworkEvent] = []
    /// Every event since the start, when asked for (tests of determinism, reports).
    public var log: [NetworkEvent]? = nil

    /// A UE searches for cells (measures everything it can hear) this often; in between it measures its serving
    /// cell and the strongest cells the last search found, as a real UE measures its detected neighbours.
    public static let searchPeriod = 1.0

    public convenience init(scenario: Scenario, seed: UInt64? = nil) {
        self.init(topology: Topology(scenario), seed: seed ?? scenario.seed ?? 1)
    }

    public init(topology: Topology, seed: UInt64) {
        self.topology = topology
        self.seed = seed
        let scenario = topology.scenario
        budget = LinkBudget(seed: seed, environment: topology.environment)
        stepSeconds = scenario.step ?? 0.1
        routes = (scenario.routes ?? []).map(CompiledRoute.init)
        let routeIndex = Dictionary(uniqueKeysWithValues: routes.enumerated().map { ($1.name, $0) })
        let operatorIndex = Dictionary(uniqueKeysWithValues: topology.operatorNames.enumerated().map { ($1, $0) })
        let area = (scenario.area.width, scenario.area.height)

        var addresses: [String] = [], populationOf: [Int] = [], appOf: [String?] = []
        var positions: [Point] = [], mobility: [Mobility] = [], rngs: [SplitMix64] = []
        var ratTier: [[Int8]] = [], allowed: [[Bool]] = []
        for (p, population) in scenario.populations.enumerated() {
            var tiers = [Int8](repeating: -1, count: RAT.allCases.count)
            for (tier, rat) in (population.ratPreference ?? [.nr, .lte]).enumerated() {
                tiers[RAT.allCases.firstIndex(of: rat)!] = Int8(tier)
            }
            ratTier.append(tiers)
            var operators = [Bool](repeating: false, count: topology.operatorNames.count)
            for name in [population.operator] + (population.roaming ?? []) { if let i = operatorIndex[name] { operators[i] = true } }
            allowed.append(operators)

            let spec = population.mobility
            let speed = (spec.speed ?? [1.0, 1.8])
            let pause = (spec.pause ?? (spec.model == .nomadic ? [30, 300] : [0, 30]))
            var placesRNG = SplitMix64(seed: Hash64.combine(seed, 7, p, 0))
            let places = spec.places.map { $0.map(Point.init) }
                ?? (0..<8).map { _ in Point(x: placesRNG.uniform(0, area.0), y: placesRNG.uniform(0, area.1)) }
            for i in 0..<population.count {
                let number = addresses.count
                var rng = SplitMix64(seed: Hash64.combine(seed, 11, p, i))
                let n = number + 1
                addresses.append("10.\((n >> 16) & 255).\((n >> 8) & 255).\(n & 255)")
                populationOf.append(p)
                appOf.append(population.app)
                var state = Mobility(kind: .stationary, target: .init(x: 0, y: 0), speedRange: speed[0]...speed[1],
                    pauseRange: pause[0]...pause[1], places: places)
                state.speed = rng.uniform(speed[0], speed[1])
                var position = Point(x: rng.uniform(0, area.0), y: rng.uniform(0, area.1))
                switch spec.model {
                case .static:
                    if let fixed = spec.position { position = Point(fixed) }
                case .randomWaypoint:
                    state.kind = .randomWaypoint
                    state.target = Point(x: rng.uniform(0, area.0), y: rng.uniform(0, area.1))
                case .nomadic:
                    state.kind = .nomadic
                    position = places[Int(rng.next() % UInt64(places.count))]
                    state.target = position
                    state.pausedUntil = rng.uniform(pause[0], pause[1])
                case .route:
                    let names = spec.routes ?? []
                    let r = routeIndex[names[i % names.count]] ?? 0
                    state.kind = .route(r)
                    if spec.speed == nil, let routeSpeed = routes[r].speed { state.speed = routeSpeed }
                    let (start, next) = routes[r].position(at: rng.unit())
                    position = start
                    state.waypoint = next
                }
                positions.append(position)
                mobility.append(state)
                rngs.append(rng)
            }
        }
        self.addresses = addresses
        self.populationOf = populationOf
        self.populationNames = scenario.populations.map(\.name)
        self.appOf = appOf
        self.positions = positions
        self.velocities = Array(repeating: Point(x: 0, y: 0), count: positions.count)
        self.mobility = mobility
        self.rngs = rngs
        self.ratTier = ratTier
        self.allowedOperators = allowed
        let stepSeconds = self.stepSeconds
        radio = (0..<addresses.count).map { ue in
            // Searches are staggered over the period so that each step does a similar amount of work.
            let slots = max(1, Int((Self.searchPeriod / stepSeconds).rounded()))
            return UERadio(nextSearch: Double(ue % slots) * stepSeconds)
        }
        cellRadio = topology.cells.map { CellRadio($0, ueHeight: topology.environment.ueHeight) }
        attachedCount = [Int](repeating: 0, count: topology.cells.count)
        lowLatencyCell = [Int32](repeating: -1, count: addresses.count)
        lowLatencyFlows = [Int](repeating: 0, count: topology.cells.count)
        addressIndex = Dictionary(uniqueKeysWithValues: addresses.enumerated().map { ($1, $0) })
    }

    public var ueCount: Int { addresses.count }
    public func ue(address: String) -> Int? { addressIndex[address] }

    /// Takes the events since the last call.
    public func drainEvents() -> [NetworkEvent] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    /// Advances one step: handover completions due within it, then every UE moves, measures and decides.
    public func step() {
        // Time is counted in steps, so that it does not drift by adding 0.1 thousands of times.
        let next = Double(steps + 1) * stepSeconds
        while let first = pending.min, first.time <= next {
            _ = pending.popMin()
            complete(first)
        }
        defer { reconcileLowLatency() }
        let interval = (topology.scenario.measurement?.reportIntervalMs ?? 0) / 1000
        let crossed = interval > 0 && (now / interval).rounded(.down) != (next / interval).rounded(.down)
        now = next
        steps += 1
        defer { if crossed || (interval > 0 && steps == 1) { recordMeasurements() } }
        let area = (topology.scenario.area.width, topology.scenario.area.height)
        // The per-UE arrays are moved out for the loop so that it works on them without exclusivity checks.
        var positions = take(&self.positions), mobility = take(&self.mobility), rngs = take(&self.rngs), radio = take(&self.radio)
        var velocities = take(&self.velocities)
        defer {
            self.positions = positions
            self.velocities = velocities
            self.mobility = mobility
            self.rngs = rngs
            self.radio = radio
        }
        cellRadio.withUnsafeBufferPointer { cells in
            for ue in 0..<positions.count {
                let before = positions[ue]
                mobility[ue].step(&positions[ue], now: now, dt: stepSeconds, routes: routes, area: area, rng: &rngs[ue])
                velocities[ue] = Point(x: (positions[ue].x - before.x) / stepSeconds, y: (positions[ue].y - before.y) / stepSeconds)
                if radio[ue].handoverTarget >= 0 { continue }
                evaluate(ue, &radio[ue], at: positions[ue], rng: &rngs[ue], cells: cells)
            }
        }
    }

    private func take<T>(_ array: inout [T]) -> [T] {
        let taken = array
        array = []
        return taken
    }

    /// Advances whole steps until `time`.
    public func run(until time: Double) {
        while now + stepSeconds <= time + 1e-9 { step() }
    }

    // MARK: - Measurement and decisions

    private func evaluate(_ ue: Int, _ state: inout UERadio, at point: Point, rng: inout SplitMix64,
                          cells: UnsafeBufferPointer<CellRadio>) {
        let population = populationOf[ue]
        let tiers = ratTier[population]
        let operators = allowedOperators[population]
        let current = Int(state.serving)

        // Measure: everything audible on a search, otherwise the serving cell and the remembered neighbours.
        var measured = MeasurementSet()
        var servingSignal = -Double.infinity
        if now >= state.nextSearch - 1e-9 || current < 0 {
            state.nextSearch = now + Self.searchPeriod
            var strongest = MeasurementSet()
            for c in topology.index.candidates(at: point) {
                let cell = Int(c)
                guard operators[cells[cell].operatorIndex], tiers[cells[cell].ratOrdinal] >= 0 else { continue }
                let s = budget.signal(cells[cell], x: point.x, y: point.y)
                if cell == current { servingSignal = s; continue }
                strongest.keepStrongest(cell: c, signal: s)
            }
            measured = strongest
            state.neighbours = strongest.cells
            state.neighbourCount = strongest.count
        } else {
            for k in 0..<state.neighbourCount {
                let cell = Int(state.neighbours[k])
                if cell == current { continue }
                measured.append(cell: state.neighbours[k], signal: budget.signal(cells[cell], x: point.x, y: point.y))
            }
        }
        if current >= 0, servingSignal == -.infinity {
            servingSignal = budget.signal(cells[current], x: point.x, y: point.y)
        }

        // Choose the cell to go to: a more preferred RAT at all, the same RAT by the A3 offset, a less preferred
        // one only when the serving cell is no longer usable.
        let hysteresis = topology.handover.hysteresisDb
        let servingTier = current >= 0 ? Int(tiers[cells[current].ratOrdinal]) : Int.max
        let servingUsable = current >= 0 && servingSignal >= cells[current].threshold
        var best = -1, bestTier = Int.max, bestSignal = -Double.infinity
        for k in 0..<measured.count {
            let c = Int(measured.cells[k])
            let s = measured.signals[k]
            let threshold = cells[c].threshold
            guard s >= threshold else { continue }
            let tier = Int(tiers[cells[c].ratOrdinal])
            let qualifies: Bool
            if current < 0 {
                qualifies = true
            } else if tier < servingTier {
                qualifies = s >= threshold + hysteresis
            } else if tier == servingTier {
                qualifies = s > servingSignal + hysteresis
            } else {
                qualifies = !servingUsable && s >= threshold + hysteresis
            }
            guard qualifies else { continue }
            if tier < bestTier || (tier == bestTier && s > bestSignal) {
                best = c
                bestTier = tier
                bestSignal = s
            }
        }

        if current < 0 {
            state.candidate = -1
            if best >= 0 {
                attach(ue, &state, to: best)
                state.record(cell: best, signal: bestSignal, measured: measured, cells: cells)
            } else {
                state.signal = -.infinity
            }
            return
        }
        state.record(cell: current, signal: servingSignal, measured: measured, cells: cells)

        if servingUsable {
            state.weakSince = .infinity
        } else if state.weakSince == .infinity {
            state.weakSince = now
        }
        if best >= 0 {
            if state.candidate != Int32(best) {
                state.candidate = Int32(best)
                state.candidateSince = now
            }
            if now - state.candidateSince >= topology.handover.timeToTrigger - 1e-9 {
                startHandover(ue, &state, from: current, to: best, rng: &rng)
                return
            }
        } else {
            state.candidate = -1
        }
        if !servingUsable, now - state.weakSince >= topology.handover.radioLinkFailure - 1e-9 {
            // Radio link failure: nothing good enough to hand over to in time.
            attachedCount[current] -= 1
            state.serving = -1
            state.candidate = -1
            state.weakSince = .infinity
            emit(NetworkEvent(time: now, ue: ue, kind: .coverageLost, from: current, to: nil, interruptionMs: 0))
        }
    }

    private func attach(_ ue: Int, _ state: inout UERadio, to cell: Int) {
        state.serving = Int32(cell)
        attachedCount[cell] += 1
        state.weakSince = .infinity
        emit(NetworkEvent(time: now, ue: ue, kind: .attached, from: nil, to: cell, interruptionMs: 0))
    }

    private func startHandover(_ ue: Int, _ state: inout UERadio, from source: Int, to target: Int, rng: inout SplitMix64) {
        let cells = topology.cells
        let gap = HandoverInterruption.milliseconds(from: cells[source], to: cells[target], parameters: topology.handover, rng: &rng)
        state.candidate = -1
        state.weakSince = .infinity
        attachedCount[source] -= 1
        state.serving = -1
        state.handoverTarget = Int32(target)
        emit(NetworkEvent(time: now, ue: ue, kind: .handoverStarted, from: source, to: target, interruptionMs: gap))
        sequence += 1
        let completion = PendingCompletion(time: now + gap / 1000, sequence: sequence, ue: ue, from: source, to: target, interruptionMs: gap)
        if gap == 0 {
            state.handoverTarget = -1
            state.serving = Int32(target)
            attachedCount[target] += 1
            emit(NetworkEvent(time: now, ue: ue, kind: .handoverCompleted, from: source, to: target, interruptionMs: 0))
        } else {
            pending.insert(completion)
        }
    }

    /// Ends a handover's interruption (called between steps, when `radio` is in place).
    private func complete(_ completion: PendingCompletion) {
        let ue = completion.ue
        radio[ue].handoverTarget = -1
        radio[ue].serving = Int32(completion.to)
        attachedCount[completion.to] += 1
        emit(NetworkEvent(time: completion.time, ue: ue, kind: .handoverCompleted, from: completion.from, to: completion.to,
            interruptionMs: completion.interruptionMs))
    }

    private func emit(_ event: NetworkEvent) {
        events.append(event)
        log?.append(event)
    }

    // MARK: - Control

    /// Sends a UE to `point`: walking at `speed` m/s, or at once with speed 0. It stays there afterwards.
    public func move(ue: Int, to point: Point, speed: Double) {
        mobility[ue].kind = .directed
        mobility[ue].target = point
        mobility[ue].speed = speed
        if speed == 0 {
            positions[ue] = point
            velocities[ue] = Point(x: 0, y: 0)
        }
    }
}
