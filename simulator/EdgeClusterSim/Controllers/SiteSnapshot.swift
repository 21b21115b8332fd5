import FlotillaAPI
import FlotillaStore

/// Everything the site's controllers read in one pass.
struct SiteSnapshot: Sendable {
    var nodes: [Node] = []
    var pods: [Pod] = []
    var deployments: [Deployment] = []
    var services: [Service] = []
    var endpoints: [Endpoints] = []
    var endpointSlices: [EndpointSlice] = []
    var serviceExports: [ServiceExport] = []
    var claims: [PersistentVolumeClaim] = []
    var statefulSets: [StatefulSet] = []
    var daemonSets: [DaemonSet] = []
    var jobs: [Job] = []
    var cronJobs: [CronJob] = []
    /// `pod-template-hash` by Deployment uid (encoding a template for its hash costs more than the rest of a pass).
    var templateHashes: [String: String] = [:]

    /// The Deployment's `pod-template-hash`.
    func templateHash(of deployment: Deployment) -> String {
        deployment.metadata.uid.flatMap { templateHashes[$0] } ?? DeploymentController.templateHash(deployment.spec.template)
    }

    /// Objects that no longer decode (hand-written through the API) are skipped, never fatal.
    static func read(from store: any Store) async throws(APIError) -> SiteSnapshot {
        var decoder = SiteDecoder()
        return decoder.decode(try await SiteDecoder.list(SiteDecoder.kinds, from: store))
    }

    /// Pods that hold node resources: bound and not finished.
    func activePods(on node: String) -> [Pod] {
        pods.filter { $0.spec.nodeName == node && !$0.isTerminal }
    }
}

/// Reads a site's objects, listing only the kinds that changed and decoding only the objects that changed since
/// its previous read.
struct SiteDecoder: Sendable {
    static let kinds = [Node.descriptor, Pod.descriptor, Deployment.descriptor, Service.descriptor, Endpoints.descriptor,
                        EndpointSlice.descriptor, ServiceExport.descriptor, PersistentVolumeClaim.descriptor,
                        StatefulSet.descriptor, DaemonSet.descriptor, Job.descriptor, CronJob.descriptor]

    private var nodes = DecodedObjects<Node>()
    private var pods = DecodedObjects<Pod>()
    private var deployments = DecodedObjects<Deployment>()
    private var services = DecodedObjects<Service>()
    private var endpoints = DecodedObjects<Endpoints>()
    private var endpointSlices = DecodedObjects<EndpointSlice>()
    private var serviceExports = DecodedObjects<ServiceExport>()
    private var claims = DecodedObjects<PersistentVolumeClaim>()
    private var statefulSets = DecodedObjects<StatefulSet>()
    private var daemonSets = DecodedObjects<DaemonSet>()
    private var jobs = DecodedObjects<Job>()
    private var cronJobs = DecodedObjects<CronJob>()
    /// Template hashes by Deployment uid, with the generation they were computed for.
    private var hashes: [String: (generation: Int64, hash: String)] = [:]
    /// The previous read: what kinds that did not change are taken from.
    private var last = SiteSnapshot()

    /// The stored objects of `kinds`, as JSON, by plural (an actor holding the decoder lists, then decodes
    /// without suspending).
    static func list(_ kinds: some Sequence<ResourceDescriptor>, from store: any Store) async throws(APIError) -> [String: [JSONValue]] {
        var lists: [String: [JSONValue]] = [:]
        for kind in kinds { lists[kind.plural] = try await store.list(kind.groupResource, options: ListOptions()).items }
        return lists
    }

    /// A snapshot with the kinds in `lists` read afresh and the others as they were.
    mutating func decode(_ lists: [String: [JSONValue]]) -> SiteSnapshot {
        var snapshot = last
        if let items = lists[Node.descriptor.plural] { snapshot.nodes = nodes.decode(items) }
        if let items = lists[Pod.descriptor.plural] { snapshot.pods = pods.decode(items) }
        if let items = lists[Deployment.descriptor.plural] { snapshot.deployments = deployments.decode(items) }
        if let items = lists[Service.descriptor.plural] { snapshot.services = services.decode(items) }
        if let items = lists[Endpoints.descriptor.plural] { snapshot.endpoints = endpoints.decode(items) }
        if let items = lists[EndpointSlice.descriptor.plural] { snapshot.endpointSlices = endpointSlices.decode(items) }
        if let items = lists[ServiceExport.descriptor.plural] { snapshot.serviceExports = serviceExports.decode(items) }
        if let items = lists[PersistentVolumeClaim.descriptor.plural] { snapshot.claims = claims.decode(items) }
        if let items = lists[StatefulSet.descriptor.plural] { snapshot.statefulSets = statefulSets.decode(items) }
        if let items = lists[DaemonSet.descriptor.plural] { snapshot.daemonSets = daemonSets.decode(items) }
        if let items = lists[Job.descriptor.plural] { snapshot.jobs = jobs.decode(items) }
        if let items = lists[CronJob.descriptor.plural] { snapshot.cronJobs = cronJobs.decode(items) }
        if lists[Deployment.descriptor.plural] != nil {
            var next: [String: (generation: Int64, hash: String)] = [:]
            for deployment in snapshot.deployments {
                guard let uid = deployment.metadata.uid, let generation = deployment.metadata.generation else { continue }
                next[uid] = (generation, hashes[uid].flatMap { $0.generation == generation ? $0.hash : nil }
                    ?? DeploymentController.templateHash(deployment.spec.template))
            }
            hashes = next
            snapshot.templateHashes = next.mapValues(\.hash)
        }
        last = snapshot
        return snapshot
    }
}

/// A write a controller wants; the reconciler applies them in order and tolerates conflicts (the next pass
/// sees the newer object and decides again).
enum SiteAction: Sendable {
    case create(GroupResource, JSONValue)
    /// Replaces the object; carries its resourceVersion, so a concurrent change makes it a conflict.
    case update(GroupResource, JSONValue)
    case delete(GroupResource, namespace: String?, name: String, uid: String?)
}

/// Builds core/v1 Events the controllers report.
struct EventRecorder: Sendable {
    let component: String

    func event(about object: ObjectReference, type: String = "Normal", reason: String, message: String, at now: Timestamp) -> SiteAction {
        var event = Event(metadata: ObjectMeta(namespace: object.namespace ?? "default"), involvedObject: object,
            type: type, reason: reason, message: message, source: component, at: now)
        event.metadata.generateName = "\(object.name ?? "object")."
        return .create(Event.descriptor.groupResource, event.json())
    }
}

extension APIObject {
    /// A reference to this object, for events and owner lists.
    var reference: ObjectReference {
        ObjectReference(apiVersion: Self.descriptor.apiVersion, kind: Self.descriptor.kind, namespace: metadata.namespace,
            name: metadata.name, uid: metadata.uid)
    }

    /// This object as the controlling owner of what it makes.
    var controllerReference: OwnerReference {
        OwnerReference(apiVersion: Self.descriptor.apiVersion, kind: Self.descriptor.kind, name: metadata.name ?? "",
            uid: metadata.uid ?? "", controller: true, blockOwnerDeletion: true)
    }
}

extension SiteSnapshot {
    /// What each owner controls, by owner uid.
    func owned<T: APIObject>(_ objects: [T]) -> [String: [T]] {
        var byOwner: [String: [T]] = [:]
        for object in objects {
            guard let owner = object.metadata.ownerReferences?.first(where: { $0.controller == true }) else { continue }
            byOwner[owner.uid, default: []].append(object)
        }
        return byOwner
    }
}
