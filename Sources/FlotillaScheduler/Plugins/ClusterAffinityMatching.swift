import FlotillaAPI

extension ClusterAffinity {
    /// Karmada's `ClusterMatches`: every part that is set must match (AND); `exclude` always wins; an empty affinity
    /// matches every cluster. Field selector keys are `provider`, `region` and `zone` (a cluster matches `zone In`
    /// when any of its zones is listed, and `zone NotIn` only when none is).
    public func matches(_ cluster: Cluster) -> Bool {
        let name = cluster.metadata.name ?? ""
        if exclude?.contains(name) == true { return false }
        if let names = clusterNames, !names.isEmpty, !names.contains(name) { return false }
        if let labelSelector, !labelSelector.matches(cluster.metadata.labels ?? [:]) { return false }
        for requirement in fieldSelector?.matchExpressions ?? [] {
            let values: [String]
            switch requirement.key {
            case "provider": values = cluster.spec.provider.map { [$0] } ?? []
            case "region": values = cluster.spec.region.map { [$0] } ?? []
            case "zone": values = cluster.spec.allZones
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
