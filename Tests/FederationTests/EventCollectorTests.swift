import FlotillaAPI
import FlotillaControllers
import FlotillaStore
import Foundation
import Testing

/// Events expire `ttl` after they were last seen, in every namespace; other kinds are never touched.
@Suite struct EventCollectorTests {
    @Test func eventsOlderThanTheTTLAreDeletedAndTheRestKept() async throws {
        let clock = ManualTimeSource()
        let client = StoreObjectClient(store: ResourceStore.memory(clock: clock))
        for namespace in ["default", "games"] {
            _ = try await client.create(Namespace.descriptor, Namespace(name: namespace).json())
        }
        let start = Timestamp(clock.now())
        func event(_ name: String, namespace: String = "default", last: Timestamp?) -> JSONValue {
            var event = Event(metadata: ObjectMeta(name: name, namespace: namespace),
                              involvedObject: ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: namespace, name: "c", uid: "u"),
                              type: "Normal", reason: "Test", message: name, source: "test", at: last ?? start)
            event.lastTimestamp = last
            event.firstTimestamp = last
            return event.json()
        }
        // Stored now (creationTimestamp = start); how old each is comes from lastTimestamp when it has one.
        _ = try await client.create(Event.descriptor, event("old", last: Timestamp(seconds: start.seconds - 7200)))
        _ = try await client.create(Event.descriptor, event("old-elsewhere", namespace: "games", last: Timestamp(seconds: start.seconds - 3700)))
        _ = try await client.create(Event.descriptor, event("recent", last: Timestamp(seconds: start.seconds - 600)))
        _ = try await client.create(Event.descriptor, event("no-last-time", last: nil))
        var micro = event("micro", last: nil)
        micro["eventTime"] = .string(Timestamp(seconds: start.seconds - 5000).rfc3339.dropLast() + ".123456Z")
        _ = try await client.create(Event.descriptor, micro)
        _ = try await client.create(ConfigMap.descriptor, ["metadata": ["name": "c", "namespace": "default"], "data": ["k": "v"]])

        let collector = EventCollector(client: client, ttl: .seconds(3600), clock: clock)
        #expect(try await collector.collect() == 3)
        func names() async throws -> Set<String> {
            Set(try await client.list(Event.descriptor, namespace: nil, options: .everything).items.compactMap(\.name))
        }
        #expect(try await names() == ["recent", "no-last-time"])

        // An hour later the rest have expired too (the one without a last time by its creationTimestamp); the
        // ConfigMap stays.
        clock.advance(by: 3601)
        #expect(try await collector.collect() == 2)
        #expect(try await names().isEmpty)
        #expect(try await collector.collect() == 0)
        #expect(try await client.get(ConfigMap.descriptor, namespace: "default", name: "c")["data"]?["k"] == "v")
    }
}
