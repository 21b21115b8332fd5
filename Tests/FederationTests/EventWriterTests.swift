import FlotillaAPI
import FlotillaControllers
import FlotillaRuntime
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

    @Test func recordingNeverWaitsAndPastTheLimitEventsAreDropped() async throws {
        let store = StoreObjectClient(store: ResourceStore.memory())
        _ = try await store.create(Namespace.descriptor, Namespace(name: "default").json())
        let gate = Gate()
        let events = EventWriter(client: InterceptingClient(inner: store) { call, _ in if call == .create { await gate.pass() } },
                                 component: "test", limit: 2)
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
