import FlotillaAPI
import FlotillaRuntime
import KubeClient
import Logging

/// The federation's view of where each edge app runs: for every AppProfile, the endpoints of its Service on every
/// member cluster (its EndpointSlices, watched on the members themselves), with capacity from `sessionsPerReplica`
/// and load from the AppSessions that point at each endpoint. An endpoint that is terminating but still serving is
/// a draining instance: no new sessions go there and the mobility service moves its sessions away while its pod's
/// grace period lasts. Kept current by watches — control-plane informers on AppProfiles, Clusters and AppSessions,
/// and one EndpointSlice informer per member — never by polling.
public actor ServiceRegistry: InstanceSource {
    let controlPlane: any ObjectClient
    let connections: ClusterConnections
    let informers: SharedInformers
    let logger: Logger

    private var profiles: [String: AppProfile] = [:]
    private var clusters: [String: Cluster] = [:]
    /// Per cluster: EndpointSlices by `namespace/name`.
    private var endpoints: [String: [String: EndpointSlice]] = [:]
    /// One EndpointSlice informer per member.
    private var members: MemberInformers?
    /// Sessions per endpoint, by `namespace/app`.
    private var sessions: [String: AppSession] = [:]
    private var load: [String: [String: Int]] = [:]

    /// `informers`: the process's shared informers; by default the member connections' (the federation's), else its own.
    public init(controlPlane: any ObjectClient, connections: ClusterConnections, informers: SharedInformers? = nil,
                logger: Logger = Logger(label: "flotilla.mec.registry")) {
        self.controlPlane = controlPlane
        self.connections = connections
        self.informers = informers ?? connections.informers ?? SharedInformers(client: controlPlane, logger: logger)
        self.logger = logger
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for resource in [AppProfile.descriptor, Cluster.descriptor, AppSession.descriptor] {
                group.addTask { [weak self, informers] in await informers.run(resource) { [weak self] event in await self?.apply(event, resource) } }
            }
            await group.next()
            group.cancelAll()
        }
        await members?.stop()
    }

    func apply(_ event: InformerEvent, _ resource: ResourceDescriptor) async {
        switch resource.plural {
        case AppProfile.descriptor.plural: Self.fold(event, into: &profiles)
        case AppSession.descriptor.plural:
            Self.fold(event, into: &sessions)
            recount()
        default:
            // A status write (a thousand clusters report every few seconds) changes no watch: only a new, deleted
            // or re-pointed cluster does.
            let before: Cluster?
            if case .modified(let item) = event { before = clusters["/\(item.name ?? "")"] } else { before = nil }
            Self.fold(event, into: &clusters)
            if case .modified(let item) = event, let before, let after = clusters["/\(item.name ?? "")"],
               MemberInformers.watchKey(before) == MemberInformers.watchKey(after) { return }
            await reconcileMemberWatches()
        }
    }

    static func fold<T: APIObject>(_ event: InformerEvent, into map: inout [String: T]) {
        func key(_ object: T) -> String { "\(object.metadata.namespace ?? "")/\(object.metadata.name ?? "")" }
        switch event {
        case .synced(let items):
            map = [:]
            for item in items { if let object = try? T(json: item) { map[key(object)] = object } }
        case .added(let item), .modified(let item):
            if let object = try? T(json: item) { map[key(object)] = object }
        case .deleted(let item):
            if let object = try? T(json: item) { map[key(object)] = nil }
        }
    }

    func recount() {
        var counts: [String: [String: Int]] = [:]
        for session in sessions.values {
            guard let endpoint = session.status?.endpoint else { continue }
            counts["\(session.metadata.namespace ?? "")/\(session.spec.app)", default: [:]][endpoint, default: 0] += 1
        }
        load = counts
    }

    /// One EndpointSlice informer per member with an API endpoint; restarted when its connection details change.
    func reconcileMemberWatches() async {
        if members == nil {
            members = MemberInformers(connections: connections, resource: EndpointSlice.descriptor, logger: logger) { [weak self] cluster, event in
                await self?.applyMember(event, cluster: cluster)
            }
        }
        guard let members else { return }
        await members.reconcile(Array(clusters.values))
        let watched = await members.clusters
        for cluster in endpoints.keys where !watched.contains(cluster) { endpoints[cluster] = nil }
    }

    func applyMember(_ event: InformerEvent, cluster: String) {
        var map = endpoints[cluster] ?? [:]
        Self.fold(event, into: &map)
        endpoints[cluster] = map
    }

    /// Every endpoint of the app's Service on every member: ready when the member lists it as ready and the cluster
    /// is Ready.
    public func app(namespace: String, name: String) -> EdgeApp? {
        profiles["\(namespace)/\(name)"].map { EdgeApp(profile: $0, instances: instances(of: $0)) }
    }

    public func apps(namespace: String?) -> [EdgeApp] {
        profiles.values.filter { namespace == nil || $0.metadata.namespace == namespace }
            .sorted { ($0.metadata.namespace ?? "", $0.metadata.name ?? "") < ($1.metadata.namespace ?? "", $1.metadata.name ?? "") }
            .map { EdgeApp(profile: $0, instances: instances(of: $0)) }
    }

    /// Cordoned (`cluster.karmada.io/unschedulable`) or tainted NoExecute: workloads are about to leave, so the
    /// sessions there should leave first.
    static func isDraining(_ cluster: Cluster) -> Bool {
        (cluster.spec.taints ?? []).contains { $0.effect == "NoExecute" || $0.key == "cluster.karmada.io/unschedulable" }
    }

    func instances(of profile: AppProfile) -> [EdgeInstance] {
        let namespace = profile.metadata.namespace ?? "", app = profile.metadata.name ?? ""
        guard let service = profile.spec.serviceName else { return [] }
        let counts = load["\(namespace)/\(app)"] ?? [:]
        var result: [EdgeInstance] = []
        for (cluster, slices) in endpoints {
            let clusterReady = clusters["/\(cluster)"]?.isReady ?? false
            let clusterDraining = clusters["/\(cluster)"].map(Self.isDraining) ?? false
            var seen = Set<String>()
            for slice in slices.values.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") })
            where slice.metadata.namespace == namespace && slice.metadata.labels?[EndpointSlice.serviceNameLabel] == service {
                let port = slice.ports?.first { profile.spec.service?.port == nil || $0.name == profile.spec.service?.port }?.port
                guard let port else { continue }
                for endpoint in slice.endpoints ?? [] {
                    guard let address = endpoint.addresses.first else { continue }
                    let name = "\(address):\(port)"
                    guard seen.insert(name).inserted else { continue }
                    // Ready (or, terminating, still serving) counts as up; terminating means draining.
                    let conditions = endpoint.conditions
                    let terminating = conditions?.terminating ?? false
                    let up = terminating ? (conditions?.serving ?? false) : (conditions?.ready ?? true)
                    result.append(EdgeInstance(site: cluster, endpoint: name, ready: up && clusterReady,
                        capacity: profile.spec.sessionsPerReplica, load: counts[name] ?? 0, draining: clusterDraining || terminating))
                }
            }
        }
        return result.sorted { ($0.site, $0.endpoint) < ($1.site, $1.endpoint) }
    }
}
