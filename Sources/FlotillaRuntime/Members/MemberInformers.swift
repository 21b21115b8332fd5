import FlotillaAPI
import KubeClient
import Logging

/// One informer per member cluster on one resource (the members' own EndpointSlices, say), started for each
/// cluster with an API endpoint and restarted when its connection details change. Every event is handed to `onEvent`
/// with the cluster's name, after it is applied: `objects(in:)` is the cluster's current set (empty until its first
/// list). The service-routing controller reads the sets; the MEC registry folds the events into its own index.
public actor MemberInformers {
    let connections: ClusterConnections
    let resource: ResourceDescriptor
    let query: ListQuery
    let logger: Logger
    let onEvent: @Sendable (String, InformerEvent) async -> Void
    private var watches: [String: (key: String, task: Task<Void, Never>)] = [:]
    private var sets: [String: WatchedSet] = [:]

    public init(connections: ClusterConnections, resource: ResourceDescriptor, query: ListQuery = .everything, logger: Logger,
                onEvent: @escaping @Sendable (String, InformerEvent) async -> Void) {
        self.connections = connections
        self.resource = resource
        self.query = query
        self.logger = logger
        self.onEvent = onEvent
    }

    /// Watches exactly these clusters (those this process connects to, with an API endpoint and not being deleted).
    public func reconcile(_ clusters: [Cluster]) async {
        // By position: a thousand clusters are looked at on every call, and copying each into a table cost more
        // than the look.
        var wanted: [String: (key: String, index: Int)] = [:]
        for index in clusters.indices where connections.serves(clusters[index]) {
            guard let key = Self.watchKey(clusters[index]), let name = clusters[index].metadata.name else { continue }
            wanted[name] = (key, index)
        }
        for (name, watch) in watches where wanted[name] == nil {
            watch.task.cancel()
            watches[name] = nil
            sets[name] = nil
        }
        for (name, want) in wanted where watches[name]?.key != want.key {
            watches[name]?.task.cancel()
            let member: KubeClient
            do {
                member = try await connections.client(for: clusters[want.index])
            } catch {
                logger.warning("cannot watch the member", metadata: ["cluster": "\(name)", "resource": "\(resource.plural)", "error": "\(error)"])
                continue
            }
            let informer = Informer(client: member, resource: resource, options: query, logger: logger)
            watches[name] = (want.key, Task { [weak self] in
                await informer.run { [weak self] event in await self?.apply(event, cluster: name) }
            })
        }
    }

    /// What a cluster's watch depends on: how it is reached (its sync mode, endpoint and credentials); nil when it
    /// cannot be watched (no endpoint, or being deleted).
    public nonisolated static func watchKey(_ cluster: Cluster) -> String? {
        guard cluster.metadata.name != nil, cluster.spec.apiEndpoint != nil, cluster.metadata.deletionTimestamp == nil else { return nil }
        return "\(cluster.spec.syncMode)|\(cluster.spec.apiEndpoint ?? "")|\(cluster.spec.secretRef?.namespace ?? "")/\(cluster.spec.secretRef?.name ?? "")"
    }

    func apply(_ event: InformerEvent, cluster: String) async {
        guard watches[cluster] != nil else { return }
        sets[cluster, default: WatchedSet()].apply(event)
        await onEvent(cluster, event)
    }

    /// The clusters being watched.
    public var clusters: Set<String> { Set(watches.keys) }

    /// The cluster's objects as last seen.
    public func objects(in cluster: String) -> [JSONValue] { sets[cluster]?.objects ?? [] }

    /// Every watched cluster's objects, by cluster: only clusters whose first list has arrived (an unsynced
    /// cluster's set says nothing yet, not "none").
    public func all() -> [String: [JSONValue]] { sets.filter(\.value.synced).mapValues(\.objects) }

    /// Ends every informer and waits for them.
    public func stop() async {
        let running = watches.values.map(\.task)
        watches.removeAll()
        sets.removeAll()
        for task in running { task.cancel() }
        for task in running { await task.value }
    }
}
