import AccessNetworkSim
import Foundation
import Synchronization

/// The access network's current round trip from each playing UE to each site (mean and jitter, as the model predicts
/// them for the UE's serving cell and SINR), refreshed 20 times a second, so that the gateways can answer every
/// datagram at once. Each datagram then draws its own round trip around the mean, as the simulator's `sampleRTT` does.
final class DemoPaths: Sendable {
    enum Path: Sendable {
        /// Per site: best effort, and with the UE's low-latency QoS flow when it holds one.
        case attached([Int: (rttMs: Double, jitterMs: Double)], lowLatency: [Int: (rttMs: Double, jitterMs: Double)]?)
        case inHandover
        case noCoverage
    }

    private let paths = Mutex<[Int: Path]>([:])
    /// Each UE's radio outages (between cells, or without coverage) as the refreshes saw them; the last may be open.
    private let outages = Mutex<[Int: [(from: Date, to: Date?)]]>([:])
    /// A cheap generator for the jitter draws (the system's costs a getrandom call each).
    private let random = Mutex(SplitMix64(seed: 0x5EED))

    func uniform() -> Double { random.withLock { $0.unit() } }

    func refresh(from network: AccessNetwork, ues: [Int]) -> [Int: Path] {
        var result: [Int: Path] = [:]
        for ue in ues {
            let status = network.status(of: ue)
            if let cell = status.servingCell {
                var sites: [Int: (rttMs: Double, jitterMs: Double)] = [:]
                var lowLatency: [Int: (rttMs: Double, jitterMs: Double)]? = status.lowLatency ? [:] : nil
                for site in network.topology.sites.indices {
                    if let prediction = network.predictRTT(cell: cell, site: site, sinrDb: status.sinrDb) {
                        sites[site] = (prediction.rttMs, prediction.jitterMs)
                    }
                    if status.lowLatency, let prediction = network.predictRTT(cell: cell, site: site, sinrDb: status.sinrDb, lowLatency: true) {
                        lowLatency?[site] = (prediction.rttMs, prediction.jitterMs)
                    }
                }
                result[ue] = .attached(sites, lowLatency: lowLatency)
            } else {
                result[ue] = status.handoverTarget != nil ? .inHandover : .noCoverage
            }
        }
        return result
    }

    func set(_ value: [Int: Path]) {
        let previous = paths.withLock { paths in
            defer { paths = value }
            return paths
        }
        let now = Date()
        outages.withLock { outages in
            for (ue, path) in value {
                let wasDown = previous[ue].map { if case .attached = $0 { false } else { true } } ?? false
                let isDown = if case .attached = path { false } else { true }
                if isDown, !wasDown { outages[ue, default: []].append((now, nil)) }
                if !isDown, wasDown, let last = outages[ue]?.indices.last { outages[ue]?[last].to = now }
            }
        }
    }

    /// Every UE's radio outages so far (one still going ends now).
    func radioOutages() -> [Int: [(from: Date, to: Date)]] {
        let now = Date()
        return outages.withLock { $0.mapValues { $0.map { ($0.from, $0.to ?? now) } } }
    }

    /// One round trip for `ue` to `site` now: nil with `inHandover` true while the UE is between cells. `lowLatency`:
    /// the traffic is the flow the UE's QoS was asked for (Flotilla's session), so it rides the flow when there is one;
    /// the UE's other traffic (the baselines' sessions) stays best effort.
    func sample(ue: Int, site: Int, lowLatency: Bool = false) -> (rttMs: Double?, inHandover: Bool) {
        guard let path = paths.withLock({ $0[ue] }) else { return (nil, false) }
        switch path {
        case .attached(let sites, let flow):
            guard let mean = (lowLatency ? flow?[site] : nil) ?? sites[site] else { return (nil, false) }
            // Box–Muller; never below half the mean, as the simulator's own sampling.
            let u1 = max(uniform(), Double.ulpOfOne), u2 = uniform()
            let normal = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
            return (max(mean.rttMs * 0.5, mean.rttMs + normal * mean.jitterMs), false)
        case .inHandover: return (nil, true)
        case .noCoverage: return (nil, false)
        }
    }
}
