import AccessNetworkSim
import Testing
@testable import FlotillaMEC

/// The indexed fast path must give the answer the full ranking gives.
@Suite struct DiscoveryIndexTests {
    @Test(arguments: [1, 2, 3, 4, 5]) func agreesWithTheFullRanking(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let sites = (0..<40).map { "site-\($0)" }
        // RTTs on a 1 ms grid so that ties happen and are broken the same way.
        let cellRTT: [[Int: Double]] = (0..<30).map { _ in
            var row: [Int: Double] = [:]
            for site in sites.indices where rng.next() % 5 != 0 { row[site] = Double(5 + rng.next() % 30) }
            return row
        }
        var index = DiscoveryIndex(sites: sites, cellRTT: cellRTT, ues: 200)
        var flat: [EdgeInstance] = []
        for site in sites.indices {
            let list = (0..<Int(rng.next() % 3)).map { i in
                DiscoveryIndex.Instance(endpoint: "10.0.\(site).\(i):80", capacity: 4, load: Int32(rng.next() % 5), ready: rng.next() % 7 != 0)
            }
            index.setInstances(site: site, list)
            flat += list.map { EdgeInstance(site: sites[site], endpoint: $0.endpoint, ready: $0.ready, capacity: Int($0.capacity), load: Int($0.load)) }
        }
        for ue in 0..<200 {
            let cell = ue % 31 == 30 ? nil : Int(rng.next() % 30)
            let offset = Double(rng.next() % 4)
            index.locate(ue: ue, cell: cell, offsetMs: offset)
            let rtt = cell.map { Dictionary(uniqueKeysWithValues: cellRTT[$0].map { (sites[$0.key], $0.value + offset) }) } ?? [:]
            let expected = EdgeRanking.rank(flat, rttMs: rtt, budgetMs: 20, limit: 1).ranked.first
            let answer = index.best(ue: ue, budgetMs: 20)
            #expect(answer.map { index.instances[$0.site][$0.instance].endpoint } == expected?.instance.endpoint, "ue \(ue)")
            #expect(answer?.rttMs == expected?.predictedRttMs)
            #expect(answer?.withinBudget == expected?.withinBudget)
        }
    }
}
