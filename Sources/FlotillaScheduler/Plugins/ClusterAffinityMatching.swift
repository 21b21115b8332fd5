import FlotillaAPI

extension ClusterAffinity {
    /// Karmada's `ClusterMatches`: every part that is set must match (AND); `exclude` always wins; an empty affinity
    /// matches every cluster. Field selector keys are `provider`, `region` and `zone` (a cluster matches `zone In`
    /// when any of its zones is listed, and `zone NotIn` only when none is).
    public func matches(_ cluster: Cluster) -> Bool { CompiledAffinity(self).matches(cluster) }
}

/// A `ClusterAffinity` with its label selector parsed and its name lists as sets, for matching many clusters.
public struct CompiledAffinity: Sendable {
    let names: Set<String>?
    let exclude: Set<String>
    /// nil: no label selector; `.none` inside: a selector that does not parse, which matches nothing.
    let selector: Selector??
    let fields: [NodeSelectorRequirement]

    public init(_ affinity: ClusterAffinity) {
        names = affinity.clusterNames.flatMap { $0.isEmpty ? nil : Set($0) }
        exclude = Set(affinity.exclude ?? [])
        selector = affinity.labelSelector.map { try? $0.selector() }
        fields = affinity.fieldSelector?.matchExpressions ?? []
    }

    public func matches(_ cluster: Cluster) -> Bool {
        matches(name: cluster.metadata.name ?? "", labels: cluster.metadata.labels ?? [:], provider: cluster.spec.provider,
                region: cluster.spec.region, zones: cluster.spec.allZones)
    }

    public func matches(_ cluster: ClusterView) -> Bool {
        matches(name: cluster.name, labels: cluster.labels, provider: cluster.provider, region: cluster.region, zones: cluster.zones)
    }

    func matches(name: String, labels: [String: String], provider: String?, region: String?, zones: [String]) -> Bool {
        if exclude.contains(name) { return false }
        if let names, !names.contains(name) { return false }
        if let selector {
            guard let parsed = selector, parsed.matches(labels) else { return false }
        }
        for requirement in fields {
            let values: [String]
            switch requirement.key {
            case "provider": values = provider.map { [$0] } ?? []
            case "region": values = region.map { [$0] } ?? []
            case "zone": values = zones
            default: return false
            }
            let listed = requirement.values ?? []
            switch requirement.operator {
            case "In": if !values.contains(where: listed.contains) { return false }
            case "NotIn": if values.contains(where: listed.contains) { return false }
            default: return false
            }
        }
        return true
    }
}
