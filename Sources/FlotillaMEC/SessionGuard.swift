import FlotillaAPI

/// Pure: what session protection does for one protected session, given the app's instances now.
///
/// 1. The primary (`status.endpoint`) is gone or not ready (its cluster NotReady, its endpoint not ready or no longer
///    listed) and the standby is ready → **promote** the standby.
/// 2. The primary is gone and so is the standby → nothing can be done (the session is lost unless the primary
///    returns); **none**.
/// 3. The primary serves and has no ready standby → **assign** one: the best-ranked ready instance with room on
///    another site (discovery's ranking by the UE's RTT; the next-best site), or on the same site when no other
///    site has one (it still survives the instance's death).
/// 4. Otherwise **none**.
///
/// Worked example: primary edge-2:9001 (edge-2 NotReady), standby edge-3:9001 ready → promote edge-3:9001.
/// Primary edge-2:9001 ready, no standby, instances on edge-2, edge-3 (12 ms) and edge-4 (18 ms) → assign edge-3.
public enum SessionGuard {
    public enum Action: Sendable, Equatable {
        case none
        case assignStandby(EdgeInstance)
        case promote(EdgeInstance)
    }

    /// The primary serves and no ready standby exists: a standby is to be chosen (which needs the UE's RTTs).
    public static func needsStandby(_ session: AppSession, instances: [EdgeInstance]) -> Bool {
        guard let primary = session.status?.endpoint, instances.contains(where: { $0.endpoint == primary && $0.ready }) else { return false }
        return !instances.contains { $0.endpoint == session.status?.standbyEndpoint && $0.ready }
    }

    public static func decide(_ session: AppSession, instances: [EdgeInstance], rttMs: [String: Double]) -> Action {
        guard let primaryEndpoint = session.status?.endpoint else { return .none }
        let primary = instances.first { $0.endpoint == primaryEndpoint }
        let standby = session.status?.standbyEndpoint.flatMap { endpoint in instances.first { $0.endpoint == endpoint && $0.ready } }
        guard primary?.ready == true else { return standby.map { .promote($0) } ?? .none }
        guard standby == nil else { return .none }
        let others = instances.filter { $0.ready && !$0.full && $0.endpoint != primaryEndpoint }
        let elsewhere = others.filter { $0.site != primary?.site }
        let ranked = EdgeRanking.rank(elsewhere.isEmpty ? others : elsewhere, rttMs: rttMs, budgetMs: nil, limit: 1).ranked
        return ranked.first.map { .assignStandby($0.instance) } ?? .none
    }
}
