import FlotillaAPI
import FlotillaStore

/// Everything the site's controllers read in one pass, decoded once.
struct SiteSnapshot: Sendable {
    var nodes: [Node] = []
    var pods: [Pod] = []
    var deployments: [Deployment] = []
    var services: [Service] = []
    var endpoints: [Endpoints] = []

    static func read(from store: any Store) async throws(APIError) -> SiteSnapshot {
        var snapshot = SiteSnapshot()
        snapshot.nodes = try await list(Node.self, from: store)
        snapshot.pods = try await list(Pod.self, from: store)
        snapshot.deployments = try await list(Deployment.self, from: store)
        snapshot.services = try await list(Service.self, from: store)
        snapshot.endpoints = try await list(Endpoints.self, from: store)
        return snapshot
    }

    /// Objects that no longer decode (hand-written through the API) are skipped, never fatal.
    static func list<T: APIObject>(_ type: T.Type, from store: any Store) async throws(APIError) -> [T] {
        try await store.list(T.descriptor.groupResource, options: ListOptions()).items.compactMap { try? T(json: $0) }
    }

    /// Pods that hold node resources: bound and not finished.
    func activePods(on node: String) -> [Pod] {
        pods.filter { $0.spec.nodeName == node && !$0.isTerminal }
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

extension Pod {
    var reference: ObjectReference {
        ObjectReference(apiVersion: "v1", kind: "Pod", namespace: metadata.namespace, name: metadata.name, uid: metadata.uid)
    }
}

extension Deployment {
    var reference: ObjectReference {
        ObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: metadata.namespace, name: metadata.name,
            uid: metadata.uid)
    }
}
