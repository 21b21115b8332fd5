import AccessNetworkSim
import FlotillaMEC
import Foundation

/// The access network simulator in process, as the MEC services' RTT source (the demo and the benchmarks; a real
/// deployment uses `AccessNetworkClient` against the simulator's or an operator's HTTP API).
struct SimulatedRTT: SiteRTTSource {
    let runner: SimulationRunner

    func rtt(ue: String) async throws(MECError) -> UESiteRTT {
        let answer: UESiteRTT? = await runner.withNetwork { network in
            guard let index = network.ue(address: ue) else { return nil }
            var answer = Self.answer(network, ue: ue, predictions: network.reportedSites(ue: index), cell: network.status(of: index).servingCell)
            let (latitude, longitude) = network.topology.frame.coordinates(of: network.positions[index])
            let velocity = network.velocities[index]
            var bearing = atan2(velocity.x, velocity.y) * 180 / .pi
            if bearing < 0 { bearing += 360 }
            answer.motion = UEMotion(latitude: latitude, longitude: longitude, bearingDegrees: bearing,
                                     speedMps: (velocity.x * velocity.x + velocity.y * velocity.y).squareRoot())
            return answer
        }
        guard let answer else { throw MECError(.notFound, "the access network does not know \(ue)") }
        return answer
    }

    func rtt(at location: DiscoveryLocation) async throws(MECError) -> UESiteRTT {
        let answer: UESiteRTT? = await runner.withNetwork { network in
            let cell: Int?
            switch location {
            case .cell(let name): cell = network.topology.cells.firstIndex { $0.name == name }
            case .coordinates(let latitude, let longitude):
                cell = network.bestCell(at: network.topology.frame.point(latitude: latitude, longitude: longitude))
            }
            guard let cell else { return nil }
            return Self.answer(network, ue: "", predictions: network.rankedSites(cell: cell), cell: cell)
        }
        guard let answer else { throw MECError(.notFound, "no cell of that name or at that place") }
        return answer
    }

    static func answer(_ network: AccessNetwork, ue: String, predictions: [RTTPrediction], cell: Int?) -> UESiteRTT {
        var rtt: [String: Double] = [:]
        for prediction in predictions { rtt[network.topology.sites[prediction.site].cluster] = prediction.rttMs }
        var answer = UESiteRTT(ue: ue, rttMs: rtt, servingCell: cell.map { network.topology.cells[$0].name },
                               reason: cell == nil ? "NoCoverage" : nil)
        answer.zone = cell.map { network.topology.zoneNames[network.topology.cells[$0].zoneIndex] }
        return answer
    }
}

extension DiscoveryIndex {
    /// An index over a network's sites (by cluster) and cells, with every UE located at its serving cell.
    static func build(from network: AccessNetwork) -> DiscoveryIndex {
        let sites = network.topology.sites.map(\.cluster)
        let cellRTT = network.topology.cells.indices.map { cell in
            Dictionary(network.rankedSites(cell: cell).map { ($0.site, $0.rttMs) }, uniquingKeysWith: min)
        }
        var index = DiscoveryIndex(sites: sites, cellRTT: cellRTT, ues: network.ueCount)
        for ue in 0..<network.ueCount {
            let cell = network.status(of: ue).servingCell
            let offset = network.topology.sites.indices.lazy.compactMap { network.predictRTT(ue: ue, site: $0) }.first?.retransmissionMs ?? 0
            index.locate(ue: ue, cell: cell, offsetMs: offset)
        }
        return index
    }
}
