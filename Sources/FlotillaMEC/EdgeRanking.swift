import FlotillaAPI

/// One running instance of an edge app: where it runs, where it listens, how many sessions it takes and holds.
public struct EdgeInstance: Sendable, Hashable {
    /// The cluster (site) it runs in.
    public var site: String
    /// `host:port`.
    public var endpoint: String
    public var ready: Bool
    /// Sessions it may hold (AppProfile's sessionsPerReplica); nil is unbounded.
    public var capacity: Int?
    public var load: Int
    /// Its cluster is being drained (cordoned, or tainted NoExecute): no new sessions, and the ones there move away.
    public var draining: Bool

    public init(site: String, endpoint: String, ready: Bool = true, capacity: Int? = nil, load: Int = 0, draining: Bool = false) {
        self.draining = draining
        self.site = site
        self.endpoint = endpoint
        self.ready = ready
        self.capacity = capacity
        self.load = load
    }

    var full: Bool { capacity.map { load >= $0 } ?? false }
    var utilization: Double { capacity.map { $0 > 0 ? Double(load) / Double($0) : 1 } ?? 0 }
}

/// An instance as discovery offers it to a UE.
public struct RankedEndpoint: Sendable, Hashable {
    public var instance: EdgeInstance
    public var predictedRttMs: Double?
    public var withinBudget: Bool
    /// Why it is where it is in the list (or why it was skipped).
    public var reason: String
}

/// Ranks an app's instances for one UE. Pure: the caller brings the UE's predicted RTT per site.
///
/// Skipped (with the reason): instances not ready, full, or at a site the UE has no predicted path to.
/// The rest, best first: within the latency budget (predicted network RTT ≤ budget) before over it; then lower
/// cost, the predicted RTT plus the delay the instance's load adds (`loadDelayMs`); then lower utilization
/// (load ÷ capacity); then site and endpoint names, so equal inputs always give the same order.
/// Example: 9 ms to an instance 19 of 20 full (cost 9 + 19 = 28 ms) ranks below 14 ms to an idle one (14 ms).
public enum EdgeRanking {
    /// The service time a session's traffic takes at an instance, for the load delay.
    public static let serviceTimeMs = 1.0
    /// The most load can add (an instance at or over its capacity).
    public static let maxLoadDelayMs = 100.0

    /// What an instance at `utilization` (load ÷ capacity) adds to a session's round trip: an M/M/1 queue's wait,
    /// `serviceTimeMs × u / (1 − u)`: 1 ms at half load, 9 ms at 90 %, 19 ms at 95 %; `maxLoadDelayMs` at or over
    /// capacity. Nothing for an instance without a capacity.
    public static func loadDelayMs(utilization u: Double) -> Double {
        guard u > 0 else { return 0 }
        guard u < 1 else { return maxLoadDelayMs }
        return min(maxLoadDelayMs, serviceTimeMs * u / (1 - u))
    }

    public static func rank(_ instances: [EdgeInstance], rttMs: [String: Double], budgetMs: Double?, limit: Int = .max)
        -> (ranked: [RankedEndpoint], skipped: [RankedEndpoint])
    {
        var candidates: [RankedEndpoint] = []
        var skipped: [RankedEndpoint] = []
        candidates.reserveCapacity(instances.count)
        for instance in instances {
            let rtt = rttMs[instance.site]
            if !instance.ready {
                skipped.append(RankedEndpoint(instance: instance, predictedRttMs: rtt, withinBudget: false, reason: "NotReady"))
            } else if instance.draining {
                skipped.append(RankedEndpoint(instance: instance, predictedRttMs: rtt, withinBudget: false, reason: "Draining"))
            } else if instance.full {
                skipped.append(RankedEndpoint(instance: instance, predictedRttMs: rtt, withinBudget: false,
                    reason: "Full: \(instance.load) of \(instance.capacity ?? 0) sessions"))
            } else if let rtt {
                let within = budgetMs.map { rtt <= $0 } ?? true
                candidates.append(RankedEndpoint(instance: instance, predictedRttMs: rtt, withinBudget: within, reason: ""))
            } else {
                skipped.append(RankedEndpoint(instance: instance, predictedRttMs: nil, withinBudget: false, reason: "NoPathFromUE"))
            }
        }
        var ranked = limit < candidates.count ? candidates.min(count: limit, sortedBy: Self.before) : candidates.sorted(by: Self.before)
        for index in ranked.indices {
            let rtt = ranked[index].predictedRttMs ?? 0
            let budget = budgetMs.map { " of a \(format($0)) ms budget" } ?? ""
            let delay = loadDelayMs(utilization: ranked[index].instance.utilization)
            ranked[index].reason = (ranked[index].withinBudget ? "within budget: " : "over budget: ")
                + "predicted \(format(rtt)) ms\(budget), \(ranked[index].instance.load) sessions"
                + (ranked[index].instance.capacity.map { " of \($0)" } ?? "")
                + (delay >= 1 ? " (load adds \(format(delay)) ms)" : "")
        }
        return (ranked, skipped)
    }

    static func before(_ a: RankedEndpoint, _ b: RankedEndpoint) -> Bool {
        if a.withinBudget != b.withinBudget { return a.withinBudget }
        let ua = a.instance.utilization, ub = b.instance.utilization
        let ca = (a.predictedRttMs ?? .infinity) + loadDelayMs(utilization: ua), cb = (b.predictedRttMs ?? .infinity) + loadDelayMs(utilization: ub)
        if ca != cb { return ca < cb }
        if ua != ub { return ua < ub }
        return (a.instance.site, a.instance.endpoint) < (b.instance.site, b.instance.endpoint)
    }


    static func format(_ ms: Double) -> String {
        let rounded = (ms * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
