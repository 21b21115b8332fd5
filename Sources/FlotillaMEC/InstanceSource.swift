/// Where the MEC services learn an app's running instances. `ServiceRegistry` builds them from the federation; tests
/// and benchmarks may give them directly.
public protocol InstanceSource: Sendable {
    /// Ready or not, every instance of the app (`namespace/name` of its AppProfile), load included.
    func instances(namespace: String, app: String) async -> [EdgeInstance]
}

/// A fixed list per app, with load counted from the sessions the caller reports.
public actor StaticInstances: InstanceSource {
    private var byApp: [String: [EdgeInstance]]

    public init(_ byApp: [String: [EdgeInstance]]) { self.byApp = byApp }

    public func instances(namespace: String, app: String) -> [EdgeInstance] { byApp["\(namespace)/\(app)"] ?? [] }

    public func set(namespace: String, app: String, _ instances: [EdgeInstance]) { byApp["\(namespace)/\(app)"] = instances }
}
