import FlotillaAPI
import KubeClient

/// Picks the edge instance for a UE: the app's instances (from an `InstanceSource`), the UE's predicted RTT per site
/// (from a `SiteRTTSource`) and the AppProfile's budget, ranked by `EdgeRanking`. `assign` also records the choice as
/// an AppSession, which is what the mobility service then follows.
public struct Discovery: Sendable {
    let client: any ObjectClient
    let instances: any InstanceSource
    let rtt: any SiteRTTSource

    public init(client: any ObjectClient, instances: any InstanceSource, rtt: any SiteRTTSource) {
        self.client = client
        self.instances = instances
        self.rtt = rtt
    }

    /// Who is asking: a UE the access network knows, or a place.
    public enum Subject: Sendable {
        case ue(String)
        case location(DiscoveryLocation)
    }

    public struct Result: Sendable {
        public var profile: AppProfile
        public var observed: UESiteRTT
        public var ranked: [RankedEndpoint]
        public var skipped: [RankedEndpoint]
    }

    public func endpoints(namespace: String, app: String, for subject: Subject, limit: Int = .max) async throws(APIError) -> Result {
        guard let found = await instances.app(namespace: namespace, name: app) else {
            throw APIError(.notFound, "app \(namespace)/\(app) not found: no AppProfile of that name")
        }
        let profile = found.profile, all = found.instances
        guard !all.isEmpty else {
            throw APIError(.serviceUnavailable, "app \(namespace)/\(app) has no instances yet (no endpoints of Service \"\(profile.spec.serviceName ?? "")\" on any site)")
        }
        let observed: UESiteRTT
        do {
            switch subject {
            case .ue(let address): observed = try await rtt.rtt(ue: address)
            case .location(let place): observed = try await rtt.rtt(at: place)
            }
        } catch {
            throw Self.apiError(error)
        }
        let (ranked, skipped) = EdgeRanking.rank(all, rttMs: observed.rttMs, budgetMs: profile.spec.latencyBudgetMs, limit: limit)
        guard !ranked.isEmpty else {
            let why = Set(skipped.map { $0.reason.split(separator: ":").first.map(String.init) ?? $0.reason }).sorted().joined(separator: ", ")
            let reason = observed.reason.map { " (the UE is \($0))" } ?? ""
            throw APIError(.serviceUnavailable, "no instance of \(namespace)/\(app) can take this UE now: \(why)\(reason)")
        }
        return Result(profile: profile, observed: observed, ranked: ranked, skipped: skipped)
    }

    /// Assigns the UE to the best instance and records the session. The UE opens its session at the endpoint.
    public func assign(namespace: String, app: String, ue: String, name: String?, callbackUri: String?) async throws(APIError) -> AppSession {
        let result = try await endpoints(namespace: namespace, app: app, for: .ue(ue), limit: 1)
        let best = result.ranked[0]
        var metadata = ObjectMeta(name: name ?? Self.sessionName(app: app, ue: ue), namespace: namespace,
                                  labels: ["mec.flotilla.io/app": app])
        metadata.ownerReferences = result.profile.metadata.uid.map {
            [OwnerReference(apiVersion: AppProfile.descriptor.apiVersion, kind: "AppProfile", name: app, uid: $0)]
        }
        var session = AppSession(metadata: metadata, spec: AppSessionSpec(ue: ue, app: app, callbackUri: callbackUri))
        session = try AppSession(jsonChecked: try await client.create(AppSession.descriptor, session.json()))
        var status = AppSessionStatus(site: best.instance.site, endpoint: best.instance.endpoint, phase: "Active")
        status.predictedRttMs = best.predictedRttMs
        status.migrations = 0
        session.status = status
        let stored = try AppSession(jsonChecked: try await client.updateStatus(AppSession.descriptor, session.json()))
        if let dataPath = result.profile.spec.dataPath { try await TrafficSteering(client: client).start(stored, dataPath: dataPath) }
        return stored
    }

    /// `app-ue` with the address made name-safe (`game-10-0-0-7`).
    static func sessionName(app: String, ue: String) -> String {
        let safe = ue.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return String("\(app)-\(String(safe))".prefix(253))
    }

    static func apiError(_ error: MECError) -> APIError {
        switch error.kind {
        case .notFound: APIError(.notFound, error.message)
        case .badRequest: APIError(.badRequest, error.message)
        case .unavailable, .refused: APIError(.serviceUnavailable, "the access network cannot answer: \(error.message)")
        }
    }
}
