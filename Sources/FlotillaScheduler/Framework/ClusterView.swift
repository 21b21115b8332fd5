import FlotillaAPI

/// A cluster as the scheduler reads it, derived once when the cluster changes rather than once per decision.
///
/// A reference: ranking 1,000 clusters moves 1,000 pointers, not 1,000 `Cluster` values (each copy retains every
/// string, label map and condition inside). The fields every decision reads are worked out here once: the name,
/// the topology a spread constraint groups by, and the free capacity the general estimator divides.
public final class ClusterView: Sendable {
    public let cluster: Cluster
    public let name: String
    public let labels: [String: String]
    public let region: String?
    public let zones: [String]
    public let provider: String?
    let deleting: Bool
    /// `spec.taints`, or none.
    public let taints: [Taint]
    /// `status.apiEnablements` as group/version → kinds; nil when the cluster does not report them.
    public let servedKinds: [String: Set<String>]?
    /// allocatable − allocated − allocating per resource; nil without `status.resourceSummary.allocatable`.
    let free: [String: Quantity]?
    /// `free` of the common resources in fixed slots (`GeneralEstimator.slot`), so estimating needs no hashing.
    let freeSlots: [Quantity?]
    /// Position among the views made together, by name: Karmada's last tie-break (name ascending) as an integer.
    let nameOrder: Int

    public convenience init(_ cluster: Cluster) {
        self.init(cluster, nameOrder: 0)
    }

    init(_ cluster: Cluster, nameOrder: Int) {
        self.nameOrder = nameOrder
        self.cluster = cluster
        name = cluster.metadata.name ?? ""
        labels = cluster.metadata.labels ?? [:]
        region = cluster.spec.region
        zones = cluster.spec.allZones
        provider = cluster.spec.provider
        deleting = cluster.metadata.deletionTimestamp != nil
        taints = cluster.spec.taints ?? []
        servedKinds = cluster.status?.apiEnablements.map { enablements in
            var kinds: [String: Set<String>] = [:]
            for enablement in enablements { kinds[enablement.groupVersion, default: []].formUnion((enablement.resources ?? []).map(\.kind)) }
            return kinds
        }
        free = GeneralEstimator.free(cluster.status?.resourceSummary)
        freeSlots = GeneralEstimator.slotted(free)
    }

    /// A view of `cluster`, a newer version of this view's cluster, in this view's place in name order.
    public func replaced(by cluster: Cluster) -> ClusterView { ClusterView(cluster, nameOrder: nameOrder) }

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

    /// Views of `clusters`, in order: what a caller builds once per cluster change and hands to every decision.
    public static func of(_ clusters: [Cluster]) -> [ClusterView] {
        let byName = clusters.indices.sorted { (clusters[$0].metadata.name ?? "") < (clusters[$1].metadata.name ?? "") }
        var order = [Int](repeating: 0, count: clusters.count)
        for (position, index) in byName.enumerated() { order[index] = position }
        return clusters.indices.map { ClusterView(clusters[$0], nameOrder: order[$0]) }
    }
}
