import FlotillaAPI

/// The round trip between two member clusters, from the topology their Cluster objects declare. Pure.
///
/// Defaults are AdvantEDGE's demo network (shared/reference/mec-standards.md §4.2): 5 ms inside a zone, 15 ms between
/// zones of one operator (same provider) or of one region, 50 ms otherwise (between operators, across regions). A
/// cluster without a zone shares none; without a provider or region it shares neither. Tie-breaks need none: the
/// value depends only on the pair.
public struct InterSiteLatency: Sendable {
    public var sameZoneMs = 5.0
    public var sameProviderMs = 15.0
    public var otherProviderMs = 50.0

    public init() {}

    public func roundTripMs(_ a: Cluster, _ b: Cluster) -> Double {
        if a.metadata.name == b.metadata.name { return 0 }
        let zonesA = Set(Self.zones(of: a)), zonesB = Set(Self.zones(of: b))
        if !zonesA.isDisjoint(with: zonesB) { return sameZoneMs }
        if let provider = a.spec.provider, provider == b.spec.provider { return sameProviderMs }
        if let region = a.spec.region, region == b.spec.region { return sameProviderMs }
        return otherProviderMs
    }

    static func zones(of cluster: Cluster) -> [String] { cluster.spec.zones ?? cluster.spec.zone.map { [$0] } ?? [] }
}
