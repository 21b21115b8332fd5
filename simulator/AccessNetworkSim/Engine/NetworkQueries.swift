import Foundation

/// What one UE looks like right now: where it is, what it is attached to, and its radio conditions.
public struct UEStatus: Sendable {
    public var number: Int
    public var address: String
    public var population: String
    public var app: String?
    public var position: Point
    /// m/s, x east and y north.
    public var velocity: Point
    public var servingCell: Int?
    /// Set while a handover's interruption lasts.
    public var handoverTarget: Int?
    /// RSRP (4G/5G) or RSSI (WiFi), dBm.
    public var signalDbm: Double?
    public var rsrqDb: Double?
    public var sinrDb: Double?
    /// This UE's share of its cell's capacity (bit/s), after the cell's low-latency reservations.
    public var throughputBps: Double?
    /// Whether the UE holds a low-latency QoS flow on its serving cell.
    public var lowLatency = false
}

/// The round trip a UE would see to one edge site right now, and what it is made of.
public struct RTTPrediction: Sendable {
    public var site: Int
    public var rttMs: Double
    public var jitterMs: Double
    public var accessMs: Double
    public var retransmissionMs: Double
    public var backhaulMs: Double
}

extension AccessNetwork {
    public func status(of ue: Int) -> UEStatus {
        let state = radio[ue]
        let cell = state.serving >= 0 ? Int(state.serving) : nil
        var throughput: Double?
        if let cell {
            let c = topology.cells[cell]
            throughput = LinkBudget.capacity(sinrDb: Double(state.sinr), bandwidthMHz: c.bandwidthMHz, maxEfficiency: c.profile.maxSpectralEfficiency)
                * bestEffortShare(cell) / Double(max(1, attachedCount[cell]))
        }
        func finite(_ value: Float) -> Double? { cell != nil && value.isFinite ? Double(value) : nil }
        return UEStatus(number: ue, address: addresses[ue], population: populationNames[populationOf[ue]], app: appOf[ue],
            position: positions[ue], velocity: velocities[ue], servingCell: cell, handoverTarget: state.handoverTarget >= 0 ? Int(state.handoverTarget) : nil,
            signalDbm: finite(state.signal), rsrqDb: finite(state.rsrq), sinrDb: finite(state.sinr), throughputBps: throughput,
            lowLatency: hasLowLatency(ue: ue))
    }

    /// Round trip to `site` through the serving cell: the RAT's radio + core (or a low-latency QoS flow's, when the
    /// UE holds one), HARQ retransmissions expected at this SINR, and the site's backhaul from the cell's zone. Nil
    /// without a serving cell or without a path.
    public func predictRTT(ue: Int, site: Int) -> RTTPrediction? {
        guard radio[ue].serving >= 0 else { return nil }
        return predictRTT(cell: Int(radio[ue].serving), site: site, sinrDb: Double(radio[ue].sinr), lowLatency: hasLowLatency(ue: ue))
    }

    /// Round trip from a cell to a site for a UE at this SINR (no retransmissions when the SINR is unknown), with or
    /// without a low-latency QoS flow (ignored where the cell's RAT cannot give one).
    public func predictRTT(cell number: Int, site: Int, sinrDb: Double? = nil, lowLatency: Bool = false) -> RTTPrediction? {
        let cell = topology.cells[number]
        let target = topology.sites[site]
        guard let backhaul = target.backhaulMs(zone: cell.zoneIndex, operator: cell.operatorIndex) else { return nil }
        // Block error rate falls from 50 % at -12 dB SINR to 0 at 3 dB; each error costs one HARQ round trip.
        let bler = sinrDb.map { min(0.5, max(0, (3 - $0) / 30)) } ?? 0
        let retransmission = bler / (1 - bler) * cell.profile.harqRttMs
        let access = (lowLatency ? cell.lowLatency : nil) ?? (cell.accessRttMs, cell.profile.accessJitterMs)
        let jitter = (access.accessJitterMs * access.accessJitterMs + target.jitterMs * target.jitterMs).squareRoot()
        return RTTPrediction(site: site, rttMs: access.accessRttMs + retransmission + backhaul, jitterMs: jitter,
            accessMs: access.accessRttMs, retransmissionMs: retransmission, backhaulMs: backhaul)
    }

    /// Every reachable site, nearest (by round trip) first; ties by site order.
    public func rankedSites(ue: Int) -> [RTTPrediction] {
        (0..<topology.sites.count).compactMap { predictRTT(ue: ue, site: $0) }
            .sorted { ($0.rttMs, $0.site) < ($1.rttMs, $1.site) }
    }

    /// What the network reports about a UE's round trips: the model's mean now (`rankedSites`), or, when the
    /// scenario asks for measurements, the UE's last report — taken on a grid of `reportIntervalMs` of simulated
    /// time, each site's value the mean of `samples` probes drawn around the model's mean then (normal jitter, never
    /// below half the mean), nearest first. A report is as old as the time since its grid point: up to one interval.
    public func reportedSites(ue: Int) -> [RTTPrediction] {
        guard topology.scenario.measurement != nil, let report = measurements[ue] else { return rankedSites(ue: ue) }
        return report.sites
    }

    /// Takes every UE's measurement report at a grid point (called by `step` when one is crossed).
    func recordMeasurements() {
        guard topology.scenario.measurement != nil else { return }
        for ue in 0..<positions.count { recordMeasurement(ue: ue) }
    }

    /// Takes one UE's report for the current grid slot (its probes are drawn from the slot and the UE, so taking it
    /// again in the same slot changes only what the path changed).
    func recordMeasurement(ue: Int) {
        guard let settings = topology.scenario.measurement else { return }
        let interval = (settings.reportIntervalMs ?? 480) / 1000
        let slot = Int((now / interval).rounded(.down))
        let probes = max(1, settings.samples ?? 1)
        var random = SplitMix64(seed: Hash64.combine(seed, 13, ue, slot))
        let sites = rankedSites(ue: ue).map { prediction in
            var measured = prediction
            var total = 0.0
            for _ in 0..<probes {
                total += max(prediction.rttMs * 0.5, prediction.rttMs + Hash64.normal(random.next()) * prediction.jitterMs)
            }
            measured.rttMs = total / Double(probes)
            return measured
        }
        measurements[ue] = (slot, sites.sorted { ($0.rttMs, $0.site) < ($1.rttMs, $1.site) })
    }

    public func rankedSites(cell: Int) -> [RTTPrediction] {
        (0..<topology.sites.count).compactMap { predictRTT(cell: cell, site: $0) }
            .sorted { ($0.rttMs, $0.site) < ($1.rttMs, $1.site) }
    }

    /// The cell a UE of any operator, preferring 5G, then 4G, then WiFi, would use at `point` (for UEs the network
    /// does not know).
    public func bestCell(at point: Point) -> Int? {
        var best: Int?, bestKey = (Int.max, -Double.infinity)
        let order: [RAT] = [.nr, .lte, .wifi]
        for c in topology.index.candidates(at: point) {
            let cell = topology.cells[Int(c)]
            let s = budget.signal(from: cell, at: point)
            guard s >= cell.threshold, let tier = order.firstIndex(of: cell.rat) else { continue }
            if tier < bestKey.0 || (tier == bestKey.0 && s > bestKey.1) {
                best = Int(c)
                bestKey = (tier, s)
            }
        }
        return best
    }

    /// One round trip drawn around the prediction (normal jitter, never below half the mean), with the UE's own
    /// generator so it stays deterministic.
    public func sampleRTT(ue: Int, site: Int) -> Double? {
        guard let prediction = predictRTT(ue: ue, site: site) else { return nil }
        let normal = Hash64.normal(rngs[ue].next())
        return max(prediction.rttMs * 0.5, prediction.rttMs + normal * prediction.jitterMs)
    }

    /// UEs attached to `cell`, or to any cell of `zone`.
    public func ues(inZone zone: Int? = nil, cell: Int? = nil) -> [Int] {
        var result: [Int] = []
        for ue in 0..<radio.count where radio[ue].serving >= 0 {
            let c = Int(radio[ue].serving)
            if let cell, c != cell { continue }
            if let zone, topology.cells[c].zoneIndex != zone { continue }
            result.append(ue)
        }
        return result
    }
}

extension AccessNetwork {
    /// Round trip from each zone to each site's cluster, for the scheduler's `LatencyMatrix`: the median over the
    /// zone's cells of access RTT + backhaul (so a zone covered by 4G, 5G and WiFi gets its typical user, not its best).
    /// Sites with no path from a zone are left out of that zone's row.
    public func latencyMatrix() -> [(zone: String, rttMs: [String: Double])] {
        topology.zoneNames.indices.map { zone in
            let cells = topology.cells.indices.filter { topology.cells[$0].zoneIndex == zone }
            var row: [String: Double] = [:]
            for site in topology.sites.indices {
                let values = cells.compactMap { predictRTT(cell: $0, site: site)?.rttMs }.sorted()
                guard !values.isEmpty else { continue }
                let median = values.count % 2 == 1 ? values[values.count / 2] : (values[values.count / 2 - 1] + values[values.count / 2]) / 2
                row[topology.sites[site].cluster] = (median * 10).rounded() / 10
            }
            return (topology.zoneNames[zone], row)
        }
    }

    /// UEs of `app` attached in each zone right now (zones with none included as 0), for an AppProfile's demand.
    public func demand(app: String) -> [(zone: String, ues: Int)] {
        var counts = [Int](repeating: 0, count: topology.zoneNames.count)
        for ue in 0..<ueCount where appOf[ue] == app && radio[ue].serving >= 0 {
            counts[topology.cells[Int(radio[ue].serving)].zoneIndex] += 1
        }
        return topology.zoneNames.enumerated().map { ($1, counts[$0]) }
    }
}
