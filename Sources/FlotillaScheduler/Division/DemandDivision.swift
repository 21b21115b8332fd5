import FlotillaAPI

/// Demand-weighted division (Flotilla's `DemandWeighted`, asked for by an AppProfile): replicas follow where the
/// users are, within capacity.
///
/// 1. Each area's users go to the candidate nearest to it (lowest RTT; ties by name) — even beyond the budget,
///    since they must be served somewhere. A cluster's weight is the users it gets.
/// 2. Replicas are apportioned by Webster over those weights, with Karmada's tie-break (binding UID parity). With
///    no users anywhere every candidate weighs 1.
/// 3. A cluster given more than it can hold keeps what fits; the excess goes one replica at a time to the cluster
///    with room that is nearest for the users (lowest user-weighted mean RTT; ties by name).
/// Example: users harbour 30, station 10; harbour is nearest edge-1, station edge-3; 8 replicas → 6 / 2.
public enum DemandDivision {
    /// A cluster and the replicas that still fit there (the same candidate dynamic division takes).
    public typealias Candidate = DynamicDivision.Candidate

    public static func divide(_ replicas: Int, candidates: [Candidate], latency: LatencyRequirement, bindingUID: String)
        throws(DynamicDivision.Unschedulable) -> [TargetCluster]
    {
        let capacity = candidates.reduce(0) { $0 + max(0, $1.allocatable) }
        guard capacity >= replicas else { throw DynamicDivision.Unschedulable(available: capacity) }
        let names = candidates.map(\.name).sorted()
        var weights: [String: Int64] = [:]
        for area in latency.areas where area.ues > 0 {
            let nearest = names.min { a, b in
                let ra = latency.rtt(area: area.name, cluster: a) ?? .infinity, rb = latency.rtt(area: area.name, cluster: b) ?? .infinity
                return ra != rb ? ra < rb : a < b
            }
            if let nearest, latency.rtt(area: area.name, cluster: nearest) != nil { weights[nearest, default: 0] += Int64(area.ues) }
        }
        if weights.isEmpty { for name in names { weights[name] = 1 } }
        let parties = Webster.apportion(replicas, among: weights.keys.sorted().map { Webster.Party(name: $0, votes: weights[$0]!) },
            bindingUID: bindingUID)
        var assigned = Dictionary(parties.map { ($0.name, $0.seats) }, uniquingKeysWith: +)

        // Capacity: keep what fits, move the excess to the nearest clusters with room.
        let allocatable = Dictionary(candidates.map { ($0.name, max(0, $0.allocatable)) }, uniquingKeysWith: max)
        var excess = 0
        for (name, count) in assigned where count > allocatable[name, default: 0] {
            excess += count - allocatable[name, default: 0]
            assigned[name] = allocatable[name, default: 0]
        }
        let mean = Dictionary(names.map { ($0, meanRTT($0, latency)) }, uniquingKeysWith: { a, _ in a })
        let byNearness = names.sorted { a, b in mean[a]! != mean[b]! ? mean[a]! < mean[b]! : a < b }
        while excess > 0 {
            guard let target = byNearness.first(where: { assigned[$0, default: 0] < allocatable[$0, default: 0] }) else { break }
            assigned[target, default: 0] += 1
            excess -= 1
        }
        return assigned.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            .map { TargetCluster(name: $0.key, replicas: Int32(clamping: $0.value)) }
    }

    /// User-weighted mean round trip to a cluster (unknown areas count as far away).
    static func meanRTT(_ cluster: String, _ latency: LatencyRequirement) -> Double {
        let areas = latency.areas
        let users = areas.reduce(0) { $0 + $1.ues }
        guard users > 0 else { return 0 }
        return areas.reduce(0.0) { $0 + Double($1.ues) * (latency.rtt(area: $1.name, cluster: cluster) ?? 1e6) } / Double(users)
    }
}
