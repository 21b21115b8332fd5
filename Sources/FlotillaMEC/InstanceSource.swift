import FlotillaAPI

/// An edge app as the MEC services see it: its AppProfile and every instance, ready or not, load included.
public struct EdgeApp: Sendable {
    public var profile: AppProfile
    public var instances: [EdgeInstance]

    public init(profile: AppProfile, instances: [EdgeInstance]) {
        self.profile = profile
        self.instances = instances
    }
}

/// Where the MEC services learn the apps and their running instances. `ServiceRegistry` builds them from the
/// federation (cached from watches, so a lookup costs no store read); tests and benchmarks may give them directly.
public protocol InstanceSource: Sendable {
    func app(namespace: String, name: String) async -> EdgeApp?
    /// Every app, or those of one namespace.
    func apps(namespace: String?) async -> [EdgeApp]
}

/// A fixed set of apps.
public actor StaticInstances: InstanceSource {
    private var byKey: [String: EdgeApp] = [:]

    public init(_ apps: [EdgeApp]) {
        for app in apps { byKey[Self.key(app.profile)] = app }
    }

    public func app(namespace: String, name: String) -> EdgeApp? { byKey["\(namespace)/\(name)"] }

    public func apps(namespace: String?) -> [EdgeApp] {
        byKey.values.filter { namespace == nil || $0.profile.metadata.namespace == namespace }.sorted { Self.key($0.profile) < Self.key($1.profile) }
    }

    static func key(_ profile: AppProfile) -> String { "\(profile.metadata.namespace ?? "")/\(profile.metadata.name ?? "")" }
}
