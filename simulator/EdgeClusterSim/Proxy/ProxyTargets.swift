import FlotillaAPI

/// Where a call to a Service goes from this site, in order: the pure part of the site's Service proxy.
///
/// Tiers, best first (each tier's endpoints share the load in turn; a later tier is used only when every endpoint of
/// the earlier ones is unready or refuses the connection):
/// 1. ready endpoints of the site's own slices;
/// 2. ready imported endpoints in the site's zone;
/// 3. ready imported endpoints by the round trip to their site, lowest first (one tier per round trip).
/// `service.cilium.io/affinity` on the Service changes the order: `local` is the default above, `remote` puts the
/// imported tiers before the local one, `none` makes one tier of every ready endpoint (in the order above), so calls
/// take turns over all of them. Inside a tier endpoints keep the
/// slices' order (slice name, then endpoint address).
struct ProxyTargets: Sendable {
    struct Target: Sendable, Hashable {
        var address: String
        var port: Int64
        /// The cluster the endpoint lives in; nil for this site.
        var cluster: String?
        var zone: String?
        /// Milliseconds to reach it and back; 0 for this site's own.
        var roundTripMs: Double
    }

    enum Affinity: String, Sendable { case local, remote, none }

    let tiers: [[Target]]

    /// The Service's port the call names: a port name, a number, or nothing when the Service has one port.
    static func servicePort(of service: Service, named reference: String?) throws(APIError) -> ServicePort {
        let ports = service.spec?.ports ?? []
        guard let reference else {
            guard ports.count == 1 else {
                throw APIError.badRequest("service \(service.metadata.name ?? "") has \(ports.count) ports: name one, as NAME:PORT")
            }
            return ports[0]
        }
        if let port = ports.first(where: { $0.name == reference || String($0.port) == reference }) { return port }
        throw APIError(.notFound, "service \(service.metadata.name ?? "") has no port \(reference)")
    }

    init(service: Service, port: ServicePort, slices: [EndpointSlice], zone: String?) {
        let name = service.metadata.name ?? ""
        var local: [Target] = []
        var imported: [Target] = []
        for slice in slices.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) where slice.serviceName == name {
            guard let number = slice.ports?.first(where: { ($0.name ?? "") == (port.name ?? "") })?.port else { continue }
            let cluster = slice.metadata.labels?[ServiceRoutingLabels.provisionCluster]
            let roundTrip = slice.metadata.annotations?[ServiceRoutingLabels.roundTripAnnotation].flatMap(Double.init) ?? 0
            for endpoint in slice.endpoints ?? [] where endpoint.isReady {
                guard let address = endpoint.addresses.first else { continue }
                // A slice the control plane imported has a providing cluster; any other (this site's controller's, or
                // one made by hand) is this site's own.
                if let cluster {
                    imported.append(Target(address: address, port: number, cluster: cluster, zone: endpoint.zone, roundTripMs: roundTrip))
                } else {
                    local.append(Target(address: address, port: number, cluster: nil, zone: endpoint.zone, roundTripMs: 0))
                }
            }
        }
        let affinity = service.metadata.annotations?[ServiceRoutingLabels.affinityAnnotation].flatMap(Affinity.init(rawValue:)) ?? .local
        var importedTiers: [[Target]] = []
        let sameZone = imported.filter { zone != nil && $0.zone == zone }
        if !sameZone.isEmpty { importedTiers.append(sameZone) }
        let rest = imported.filter { !sameZone.contains($0) }
        for roundTrip in Set(rest.map(\.roundTripMs)).sorted() { importedTiers.append(rest.filter { $0.roundTripMs == roundTrip }) }
        switch affinity {
        case .local: tiers = ([local] + importedTiers).filter { !$0.isEmpty }
        case .remote: tiers = (importedTiers + [local]).filter { !$0.isEmpty }
        case .none: tiers = [local + importedTiers.flatMap { $0 }].filter { !$0.isEmpty }
        }
    }

    /// Every target in the order to try them: each tier rotated by `turn`, so calls take turns inside a tier.
    func ordered(turn: Int) -> [Target] {
        tiers.flatMap { tier in tier.indices.map { tier[($0 + turn) % tier.count] } }
    }
}
