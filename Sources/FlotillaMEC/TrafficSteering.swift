import FlotillaAPI
import KubeClient

/// Keeps each session's TrafficRule (apps with `spec.dataPath`): the rule is named after the AppSession and matches
/// the UE's flows to the app's public address. Discovery writes it forwarding to the assigned instance; a move turns it
/// to BUFFER, waits until the source site's gateway has the hold in force, freezes the source, and points the rule at
/// the target as soon as the target resumes (or back at the source when the move rolls back); it goes with the
/// session. Sessions of apps without a data path have no rule, and
/// every step here is then a no-op.
public struct TrafficSteering: Sendable {
    let client: any ObjectClient
    /// Per-session rules come before any an app writes for itself at the default 128.
    public static let priority = 10

    public init(client: any ObjectClient) { self.client = client }

    /// The rule for a session of an app with this data path, forwarding to `endpoint` at `site`.
    public static func rule(for session: AppSession, dataPath: AppDataPath, site: String, endpoint: String) -> TrafficRule? {
        guard let name = session.metadata.name, let (host, port) = split(endpoint) else { return nil }
        let filter = TrafficFilter(srcAddress: [session.spec.ue], dstAddress: [dataPath.address], dstPort: [String(dataPath.port)],
                                   protocol: [dataPath.protocol ?? "UDP"])
        var metadata = ObjectMeta(name: name, namespace: session.metadata.namespace ?? "default",
                                  labels: ["mec.flotilla.io/app": session.spec.app, "mec.flotilla.io/session": name])
        metadata.ownerReferences = session.metadata.uid.map { [OwnerReference(apiVersion: AppSession.descriptor.apiVersion, kind: "AppSession",
                                                                               name: name, uid: $0)] }
        return TrafficRule(metadata: metadata, spec: TrafficRuleSpec(
            trafficRuleId: name, priority: priority, trafficFilter: [filter], action: "FORWARD_DECAPSULATED",
            dstInterface: InterfaceDescriptor(dstIpAddress: host, dstPort: port), site: site,
            appInstanceId: appInstanceId(namespace: metadata.namespace ?? "default", app: session.spec.app)))
    }

    /// The Mp1 application instance id of an app's rules: `namespace.app`.
    public static func appInstanceId(namespace: String, app: String) -> String { "\(namespace).\(app)" }

    /// Writes (or rewrites) the session's rule to forward to where it is now.
    public func start(_ session: AppSession, dataPath: AppDataPath) async throws(APIError) {
        guard let site = session.status?.site, let endpoint = session.status?.endpoint,
              let rule = Self.rule(for: session, dataPath: dataPath, site: site, endpoint: endpoint) else { return }
        try await client.createOrUpdate(TrafficRule.descriptor, try rule.json())
    }

    /// A rule version to wait for: its generation, and the site whose gateway must have it in force.
    public struct Version: Sendable, Equatable {
        public var generation: Int64
        public var site: String
    }

    /// Holds the session's flows (the source is about to freeze): the hold's version, to wait for with
    /// `awaitApplied`. Nil: the session has no rule.
    public func hold(namespace: String, session: String) async throws(APIError) -> Version? {
        guard let held = try await patch(namespace: namespace, session: session, ["spec": ["action": "BUFFER"]]) else { return nil }
        guard let generation = held.generation, let site = held["spec"]?["site"]?.stringValue else { return nil }
        return Version(generation: generation, site: site)
    }

    /// Waits until the gateway of the version's site reports it in force in the rule's status, for at most `limit`:
    /// true when it does, false when the limit passed (no gateway there answers) or the rule is gone. It reads the
    /// rule again after 0.25 ms, then backs off to 4 ms between reads.
    public func awaitApplied(namespace: String, session: String, _ version: Version, limit: Duration = .milliseconds(100)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        var pause = Duration.microseconds(250)
        while true {
            guard let rule = try? TrafficRule(json: try await client.get(TrafficRule.descriptor, namespace: namespace, name: session)) else { return false }
            if let status = rule.status, status.site == version.site, (status.observedGeneration ?? 0) >= version.generation { return true }
            guard ContinuousClock.now + pause < deadline else { return false }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(4))
        }
    }

    /// Sends the session's flows (and what was held) to `endpoint` at `site`.
    @discardableResult
    public func forward(namespace: String, session: String, site: String, endpoint: String) async throws(APIError) -> Bool {
        guard let (host, port) = Self.split(endpoint) else { return false }
        return try await patch(namespace: namespace, session: session, ["spec": [
            "action": "FORWARD_DECAPSULATED", "site": .string(site),
            "dstInterface": ["interfaceType": "IP", "dstIpAddress": .string(host), "dstPort": .integer(Int64(port))]]]) != nil
    }

    public func remove(namespace: String, session: String) async {
        try? await client.delete(TrafficRule.descriptor, namespace: namespace, name: session)
    }

    /// The patched rule; nil when the session has none.
    func patch(namespace: String, session: String, _ patch: JSONValue) async throws(APIError) -> JSONValue? {
        do {
            return try await client.mergePatch(TrafficRule.descriptor, namespace: namespace, name: session, patch)
        } catch where error.reason == .notFound {
            return nil
        }
    }

    static func split(_ endpoint: String) -> (String, Int)? {
        guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]) else { return nil }
        return (String(endpoint[..<colon]), port)
    }
}
