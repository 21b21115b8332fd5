/// Discovery's fast path for many UEs and sites: the same order as `EdgeRanking` (within budget first, then lower
/// RTT plus load delay, then lower utilization, then names), answered in a few steps instead of a pass over every
/// instance. It relies on a property of the access network's model: every site's RTT from a UE is the UE's own radio
/// part plus the serving cell's path to that site, so all UEs in a cell rank the sites the same way. The index keeps
/// each cell's sites sorted once; a query walks its UE's cell list until a site has an instance with room.
public struct DiscoveryIndex: Sendable {
    public struct Instance: Sendable {
        public var endpoint: String
        public var capacity: Int32
        public var load: Int32
        public var ready: Bool
        var utilization: Double { capacity > 0 ? Double(load) / Double(capacity) : 1 }

        public init(endpoint: String, capacity: Int32, load: Int32 = 0, ready: Bool = true) {
            self.endpoint = endpoint
            self.capacity = capacity
            self.load = load
            self.ready = ready
        }
    }

    public let sites: [String]
    /// Per site, its instances.
    public private(set) var instances: [[Instance]]
    /// Per cell, (site, RTT) sorted by RTT then site name.
    let cellRanking: [[(site: Int32, rttMs: Float)]]
    /// Per UE, its serving cell (−1: none) and the radio part of its RTT on top of the cell's.
    public private(set) var ueCell: [Int32]
    public private(set) var ueOffsetMs: [Float]

    /// `cellRTT[c]` maps site index → RTT (ms) from cell `c`; sites missing from a cell's map have no path from it.
    public init(sites: [String], cellRTT: [[Int: Double]], ues: Int) {
        self.sites = sites
        instances = Array(repeating: [], count: sites.count)
        cellRanking = cellRTT.map { row in
            row.map { (site: Int32($0.key), rttMs: Float($0.value)) }
                .sorted { ($0.rttMs, sites[Int($0.site)]) < ($1.rttMs, sites[Int($1.site)]) }
        }
        ueCell = Array(repeating: -1, count: ues)
        ueOffsetMs = Array(repeating: 0, count: ues)
    }

    public mutating func setInstances(site: Int, _ list: [Instance]) {
        instances[site] = list.sorted { $0.endpoint < $1.endpoint }
    }

    public mutating func setLoad(site: Int, instance: Int, _ load: Int32) { instances[site][instance].load = load }

    /// The UE moved to `cell` (nil: no coverage); `offsetMs` is its radio part beyond the cell's typical one.
    public mutating func locate(ue: Int, cell: Int?, offsetMs: Double = 0) {
        ueCell[ue] = Int32(cell ?? -1)
        ueOffsetMs[ue] = Float(offsetMs)
    }

    public struct Answer: Sendable, Equatable {
        public var site: Int
        public var instance: Int
        public var rttMs: Double
        public var withinBudget: Bool
    }

    /// The best instance for `ue`, or nil when none has room on any reachable site. Sites are walked nearest first
    /// and the walk stops once a site's RTT alone exceeds the best cost found (load only adds to a cost), or leaves
    /// the budget that the best met.
    public func best(ue: Int, budgetMs: Double?) -> Answer? {
        let cell = Int(ueCell[ue])
        guard cell >= 0 else { return nil }
        let offset = ueOffsetMs[ue]
        var best: (key: (Int, Double, Double, String, String), answer: Answer)?
        for entry in cellRanking[cell] {
            let rtt = Double(entry.rttMs + offset)
            let within = budgetMs.map { rtt <= $0 } ?? true
            if let found = best, (found.answer.withinBudget && !within) || rtt > found.key.1 { break }
            let site = Int(entry.site)
            for (i, candidate) in instances[site].enumerated() where candidate.ready && candidate.load < candidate.capacity {
                let utilization = candidate.utilization
                let key = (within ? 0 : 1, rtt + EdgeRanking.loadDelayMs(utilization: utilization), utilization, sites[site], candidate.endpoint)
                if best == nil || key < best!.key {
                    best = (key, Answer(site: site, instance: i, rttMs: rtt, withinBudget: within))
                }
            }
        }
        return best?.answer
    }
}
