import FlotillaAPI
import Foundation
import KubeClient

/// One `KubeClient` per member cluster, built from the Cluster's `apiEndpoint` and the Secret its `secretRef`
/// names (Karmada's layout: `token` and `caBundle`; Flotilla also reads `tls.crt`/`tls.key` for a client
/// certificate). Rebuilt when either changes. With shared informers the Secrets are read from their cache (one watch,
/// not a GET per call); a Secret the cache does not have yet, or any without informers, is read from the API.
///
/// Which clusters a process connects to is its `scope`: the control plane reaches its Push clusters; a Pull
/// cluster's agent reaches its own member alone, through the client it was started with. Controllers that talk to
/// members ask `serves(_:)` first, so the same controller runs in either process.
public actor ClusterConnections {
    public enum Scope: Sendable, Equatable {
        /// The control plane: every cluster with `syncMode: Push`.
        case push
        /// A Pull cluster's agent: that cluster alone.
        case pull(cluster: String)
    }

    let controlPlane: any ObjectClient
    public nonisolated let informers: SharedInformers?
    public nonisolated let scope: Scope
    let policy: ClientPolicy
    /// The agent's own member (scope `.pull`).
    private let local: KubeClient?
    /// Keeps the Secrets informer read while the connections live.
    private var secrets: Task<Void, Never>?
    private var clients: [String: (key: String, client: KubeClient)] = [:]
    /// Set by `shutdown()`: a client made afterwards would never be shut down.
    private var closed = false

    public init(controlPlane: any ObjectClient, informers: SharedInformers? = nil, policy: ClientPolicy = ClientPolicy()) {
        self.controlPlane = controlPlane
        self.informers = informers
        self.policy = policy
        self.scope = .push
        self.local = nil
    }

    /// An agent's connections: `member` is the client for `cluster`, the only one served. The caller owns `member`
    /// and shuts it down.
    public init(controlPlane: any ObjectClient, member: KubeClient, cluster: String) {
        self.controlPlane = controlPlane
        self.informers = nil
        self.policy = ClientPolicy()
        self.scope = .pull(cluster: cluster)
        self.local = member
    }

    /// Whether this process connects to `cluster`: the control plane to Push clusters, an agent to its own.
    public nonisolated func serves(_ cluster: Cluster) -> Bool {
        switch scope {
        case .push: return cluster.spec.syncMode != "Pull"
        case .pull(let name): return cluster.metadata.name == name
        }
    }

    /// What a list of Clusters should ask for: all of them, or the agent's own.
    public nonisolated var clusterQuery: ListQuery {
        switch scope {
        case .push: return .everything
        case .pull(let name): return ListQuery(fieldSelector: "metadata.name=\(name)")
        }
    }

    /// The Secret, from the informers' cache when they have it.
    func secret(namespace: String, name: String) async throws(APIError) -> JSONValue {
        if let informers {
            if secrets == nil {
                secrets = Task { for await _ in await informers.events(Secret.descriptor) {} }
            }
            // A Secret not in the cache may be one written a moment ago: the API says.
            if let cached = await informers.object(Secret.descriptor, namespace: namespace, name: name) { return cached }
        }
        return try await controlPlane.get(Secret.descriptor, namespace: namespace, name: name)
    }

    /// The client for `cluster`, or why there is none (no endpoint, missing or unusable secret).
    public func client(for cluster: Cluster) async throws(APIError) -> KubeClient {
        let name = cluster.metadata.name ?? ""
        guard !closed else { throw APIError(.serviceUnavailable, "member connections are shut down") }
        guard serves(cluster) else {
            throw APIError(.serviceUnavailable, cluster.spec.syncMode == "Pull"
                ? "cluster \(name) syncs in Pull mode: its agent connects to the control plane, not the other way round"
                : "cluster \(name) is not this agent's")
        }
        if let local { return local }
        guard let endpoint = cluster.spec.apiEndpoint, !endpoint.isEmpty else {
            throw APIError(.invalid, "cluster \(name) has no spec.apiEndpoint")
        }
        var credentials = ClusterCredentials(server: endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint,
            insecureSkipTLSVerify: cluster.spec.insecureSkipTLSVerification ?? false)
        var secretVersion = ""
        if let reference = cluster.spec.secretRef {
            let object = try await secret(namespace: reference.namespace, name: reference.name)
            secretVersion = object.resourceVersion ?? ""
            let data = object["data"]?.objectValue ?? [:]
            func decoded(_ key: String) -> String? {
                data[key]?.stringValue.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
            }
            credentials.token = decoded("token")
            credentials.caPEM = decoded("caBundle")
            credentials.clientCertificatePEM = decoded("tls.crt")
            credentials.clientKeyPEM = decoded("tls.key")
        }
        let key = "\(credentials.server)|\(secretVersion)|\(credentials.insecureSkipTLSVerify)"
        // The Secret read above suspended this actor: shutdown() may have run meanwhile.
        guard !closed else { throw APIError(.serviceUnavailable, "member connections are shut down") }
        if let cached = clients[name], cached.key == key { return cached.client }
        let client: KubeClient
        do {
            client = try KubeClient(credentials: credentials, policy: policy)
        } catch {
            throw APIError(.invalid, "cluster \(name) credentials are unusable: \(error)")
        }
        if let old = clients[name] { Task { await old.client.shutdown() } }
        clients[name] = (key, client)
        return client
    }

    /// Forgets a cluster that left.
    public func remove(_ name: String) async {
        if let old = clients.removeValue(forKey: name) { await old.client.shutdown() }
    }

    /// Shuts every client down; `client(for:)` fails from now on.
    public func shutdown() async {
        closed = true
        secrets?.cancel()
        secrets = nil
        let entries = clients.values
        clients.removeAll()
        // All at once: one after another, a control plane with a thousand members took seconds to exit.
        await withTaskGroup(of: Void.self) { group in
            for entry in entries { group.addTask { await entry.client.shutdown() } }
        }
    }
}
