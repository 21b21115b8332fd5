import FlotillaAPI

/// A feasible cluster after scoring, as selection and assignment see it.
public struct RankedCluster: Sendable, Hashable {
    public var name: String
    public var score: Int
    /// Replicas that still fit (general estimator), capped to the request when unknown.
    public var allocatable: Int
    /// `allocatable` plus the replicas the binding already has there: what Karmada sorts and spreads by.
    public var available: Int
    public var region: String?
    public var zones: [String]
    public var provider: String?
    public var labels: [String: String]
    /// Where the cluster is in the list the scheduler was given (-1 when built by hand).
    var index = -1

    public init(name: String, score: Int, allocatable: Int, available: Int, region: String? = nil, zones: [String] = [],
                provider: String? = nil, labels: [String: String] = [:]) {
        self.name = name
        self.score = score
        self.allocatable = allocatable
        self.available = available
        self.region = region
        self.zones = zones
        self.provider = provider
        self.labels = labels
    }

    init(cluster: Cluster, index: Int, score: Int, allocatable: Int, assigned: Int) {
        self.init(name: cluster.metadata.name ?? "", score: score, allocatable: allocatable, available: allocatable + assigned,
            region: cluster.spec.region, zones: cluster.spec.allZones, provider: cluster.spec.provider,
            labels: cluster.metadata.labels ?? [:])
        self.index = index
    }

    /// The group this cluster belongs to under a spread constraint; nil when it has no value for it.
    func group(_ constraint: SpreadConstraint) -> String? {
        if let label = constraint.spreadByLabel, !label.isEmpty { return labels[label] }
        switch constraint.spreadByField {
        case "region": return region
        case "zone": return zones.first
        case "provider": return provider
        default: return name
        }
    }

    /// Karmada's selection order: score descending, available replicas descending, name ascending.
    static func precedes(_ a: RankedCluster, _ b: RankedCluster) -> Bool {
        if a.score != b.score { return a.score > b.score }
        if a.available != b.available { return a.available > b.available }
        return a.name < b.name
    }
}
