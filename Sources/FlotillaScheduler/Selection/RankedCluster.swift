import FlotillaAPI

/// A feasible cluster after scoring, as selection and assignment see it.
public struct RankedCluster: Sendable, Hashable {
    /// The cluster itself (shared, never copied).
    let view: ClusterView
    public var score: Int
    /// Replicas that still fit (general estimator), capped to the request when unknown.
    public var allocatable: Int
    /// `allocatable` plus the replicas the binding already has there: what Karmada sorts and spreads by.
    public var available: Int

    public var name: String { view.name }
    public var region: String? { view.region }
    public var zones: [String] { view.zones }
    public var provider: String? { view.provider }
    public var labels: [String: String] { view.labels }

    /// A ranked cluster built by hand (tests): a cluster with just these fields.
    public init(name: String, score: Int, allocatable: Int, available: Int, region: String? = nil, zones: [String] = [],
                provider: String? = nil, labels: [String: String] = [:]) {
        var spec = ClusterSpec()
        spec.region = region
        spec.zones = zones.isEmpty ? nil : zones
        spec.provider = provider
        self.init(view: ClusterView(Cluster(metadata: ObjectMeta(name: name, labels: labels.isEmpty ? nil : labels), spec: spec)),
                  score: score, allocatable: allocatable, available: available)
    }

    init(view: ClusterView, score: Int, allocatable: Int, available: Int) {
        self.view = view
        self.score = score
        self.allocatable = allocatable
        self.available = available
    }

    public static func == (a: RankedCluster, b: RankedCluster) -> Bool {
        a.name == b.name && a.score == b.score && a.allocatable == b.allocatable && a.available == b.available
            && a.region == b.region && a.zones == b.zones && a.provider == b.provider && a.labels == b.labels
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(score)
        hasher.combine(available)
    }

    /// The group this cluster belongs to under a spread constraint; nil when it has no value for it.
    func group(_ constraint: SpreadConstraint) -> String? { view.group(constraint) }

    /// Karmada's selection order: score descending, available replicas descending, name ascending.
    static func precedes(_ a: RankedCluster, _ b: RankedCluster) -> Bool {
        if a.score != b.score { return a.score > b.score }
        if a.available != b.available { return a.available > b.available }
        return a.name < b.name
    }

    /// Name ascending, compared by the views' name order (names only between views made apart, which share order 0).
    static func nameAscending(_ a: RankedCluster, _ b: RankedCluster) -> Bool {
        a.view.nameOrder != b.view.nameOrder ? a.view.nameOrder < b.view.nameOrder : a.name < b.name
    }

    static func byName(_ clusters: [RankedCluster]) -> [RankedCluster] { clusters.sorted(by: nameAscending) }

    /// `clusters` in `precedes` order. The sort compares integers only (the views' name order stands in for the
    /// names) and moves positions, then gathers the values once: no string compare, no reference counting.
    static func sorted(_ clusters: [RankedCluster]) -> [RankedCluster] {
        let keys = clusters.map { (score: $0.score, available: $0.available, order: $0.view.nameOrder) }
        let order = keys.indices.sorted { a, b in
            let (x, y) = (keys[a], keys[b])
            if x.score != y.score { return x.score > y.score }
            if x.available != y.available { return x.available > y.available }
            if x.order != y.order { return x.order < y.order }
            return clusters[a].name < clusters[b].name  // views made apart (by hand) share order 0
        }
        return order.map { clusters[$0] }
    }
}
