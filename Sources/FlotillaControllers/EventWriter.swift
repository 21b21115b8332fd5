import FlotillaAPI
import KubeClient

/// Writes core/v1 Events about objects, as `kubectl describe` shows them. Best effort: an event that cannot be
/// written is not worth failing the work it describes.
public struct EventWriter: Sendable {
    let client: any ObjectClient
    let component: String
    let clock: any TimeSource

    public init(client: any ObjectClient, component: String, clock: any TimeSource = SystemTimeSource()) {
        self.client = client
        self.component = component
        self.clock = clock
    }

    public func record(_ object: JSONValue, type: String = "Normal", reason: String, message: String) async {
        await record(ObjectReference(apiVersion: object.apiVersion, kind: object.kind, namespace: object.namespace, name: object.name,
                                     uid: object.uid), type: type, reason: reason, message: message)
    }

    /// About a typed object: its reference, without encoding the object.
    public func record<Object: APIObject>(_ object: Object, type: String = "Normal", reason: String, message: String) async {
        await record(ObjectReference(apiVersion: Object.descriptor.apiVersion, kind: Object.descriptor.kind, namespace: object.metadata.namespace,
                                     name: object.metadata.name, uid: object.metadata.uid), type: type, reason: reason, message: message)
    }

    public func record(_ reference: ObjectReference, type: String = "Normal", reason: String, message: String) async {
        var event = Event(metadata: ObjectMeta(namespace: reference.namespace ?? "default"), involvedObject: reference, type: type,
            reason: reason, message: message, source: component, at: Timestamp(clock.now()))
        event.metadata.generateName = "\(reference.name ?? "object")."
        _ = try? await client.create(event)
    }
}
