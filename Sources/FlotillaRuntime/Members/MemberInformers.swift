import FlotillaAPI
import KubeClient
import Logging

/// One informer per member cluster on one resource (the members' own EndpointSlices, say), started for each
/// cluster with an API endpoint and restarted when its connection details change. Every change calls `onChange`
/// with the cluster's name; `objects(in:)` is the cluster's current set (empty until its first list).
public actor MemberInformers {
    let connections: ClusterConnections
    let resource: ResourceDescriptor
    let query: ListQuery
    let logger: Logger
    let onChange: @Sendable (String) -> Void
    private var watches: [String: (key: String, task: Task<Void, Never>)] = [:]
    private var sets: [String: WatchedSet] = [:]

    public init(connections: ClusterConnections, resource: ResourceDescriptor, query: ListQuery = .everything, logger: Logger,
                onChange: @escaping @Sendable (String) -> Void) {
        self.connections = connections
        self.resource = resource
        self.query = query
        self.logger = logger
        self.onChange = onChange
    }

    /// Watches exactly these clusters (those with an API endpoint and not being deleted).
    public func reconcile(_ clusters: [Cluster]) async {
        let wanted = Dictionary(clusters.compactMap { cluster -> (String, Cluster)? in
            guard let name = cluster.metadata.name, cluster.spec.apiEndpoint != nil, cluster.metadata.deletionTimestamp == nil else { return nil }
            return (name, cluster)
        }, uniquingKeysWith: { a, _ in a })
        for (name, watch) in watches where wanted[name] == nil {
            watch.task.cancel()
            watches[name] = nil
            sets[name] = nil
        }
        for (name, cluster) in wanted {
            let key = "\(cluster.spec.apiEndpoint ?? "")|\(cluster.spec.secretRef?.namespace ?? "")/\(cluster.spec.secretRef?.name ?? "")"
            if watches[name]?.key == key { continue }
            watches[name]?.task.cancel()
            let member: KubeClient
            do {
                member = try await connections.client(for: cluster)
            } catch {
                logger.warning("cannot watch the member", metadata: ["cluster": "\(name)", "resource": "\(resource.plural)", "error": "\(error)"])
                continue
            }
            let informer = Informer(client: member, resource: resource, options: query, logger: logger)
            watches[name] = (key, Task { [weak self] in
                await informer.run { [weak self] event in await self?.apply(event, cluster: name) }
            })
        }
    }

    func apply(_ event: InformerEvent, cluster: String) {
        guard watches[cluster] != nil else { return }
        sets[cluster, default: WatchedSet()].apply(event)
        onChange(cluster)
    }

    /// The cluster's objects as last seen.
    public func objects(in cluster: String) -> [JSONValue] { sets[cluster]?.objects ?? [] }

    /// Every watched cluster's objects, by cluster.
    public func all() -> [String: [JSONValue]] { sets.mapValues(\.objects) }

    public func stop() {
        for watch in watches.values { watch.task.cancel() }
        watches.removeAll()
        sets.removeAll()
    }
}
