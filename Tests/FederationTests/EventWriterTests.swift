import FlotillaAPI
import FlotillaControllers
import FlotillaStore
import FlotillaTestSupport
import KubeClient
import Testing

/// Events are written in the background, at most `limit` at once; more are dropped and counted, never queued.
@Suite struct EventWriterTests {
    /// Holds every create until opened.
    actor Gate {
        private var open = false
        func pass() async { while !open { try? await Task.sleep(for: .milliseconds(2)) } }
        func release() { open = true }
    }

    /// The store behind a gate on creates.
    struct GatedClient: ObjectClient {
        let inner: StoreObjectClient
        let gate: Gate
        func get(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError) -> JSONValue {
            try await inner.get(resource, namespace: namespace, name: name)
        }
        func list(_ resource: ResourceDescriptor, namespace: String?, options: ListQuery) async throws(APIError) -> ListResult {
            try await inner.list(resource, namespace: namespace, options: options)
        }
        func create(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
            await gate.pass()
            return try await inner.create(resource, object)
        }
        func update(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
            try await inner.update(resource, object)
        }
        func updateStatus(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
            try await inner.updateStatus(resource, object)
        }
        func mergePatch(_ resource: ResourceDescriptor, namespace: String?, name: String, _ patch: JSONValue) async throws(APIError) -> JSONValue {
            try await inner.mergePatch(resource, namespace: namespace, name: name, patch)
        }
        func delete(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError) {
            try await inner.delete(resource, namespace: namespace, name: name)
        }
        func watch(_ resource: ResourceDescriptor, namespace: String?, options: ListQuery, resourceVersion: String) async throws(APIError)
            -> AsyncThrowingStream<ObjectEvent, any Error>
        {
            try await inner.watch(resource, namespace: namespace, options: options, resourceVersion: resourceVersion)
        }
    }

    @Test func recordingNeverWaitsAndPastTheLimitEventsAreDropped() async throws {
        let store = StoreObjectClient(store: ResourceStore.memory())
        _ = try await store.create(Namespace.descriptor, Namespace(name: "default").json())
        let gate = Gate()
        let events = EventWriter(client: GatedClient(inner: store, gate: gate), component: "test", limit: 2)
        let subject = ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "settings", uid: "u1")
        // Every create is held at the gate, yet each `record` returns at once.
        for attempt in 1...5 { events.record(subject, reason: "Attempt\(attempt)", message: "attempt \(attempt)") }
        #expect(events.inFlight == 2)
        #expect(events.dropped == 3)

        await gate.release()
        await events.settle()
        #expect(events.inFlight == 0)
        let written = try await store.list(Event.descriptor, namespace: "default", options: .everything).items
        #expect(Set(written.compactMap { $0["reason"]?.stringValue }) == ["Attempt1", "Attempt2"])
        #expect(written.allSatisfy { $0["involvedObject"]?["name"] == "settings" && $0["source"]?["component"] == "test" })

        // With room again, the next one is written.
        events.record(subject, type: "Warning", reason: "Later", message: "later")
        await events.settle()
        #expect(try await store.list(Event.descriptor, namespace: "default", options: .everything).items.count == 3)
    }
}
