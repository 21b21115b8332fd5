import FlotillaAPI
import FlotillaStore
import Foundation
import Testing

@Suite struct WatchTests {
    @Test(arguments: BackendKind.allCases)
    func deliversEveryChangeInRevisionOrder(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        let stream = try await store.watch(configMaps, options: WatchOptions(resourceVersion: base))
        let created = try await store.create(configMaps, configMap("a"), options: .none)
        var changed = created
        changed["data"] = ["k": "2"]
        _ = try await store.update(configMaps, changed, options: .none)
        _ = try await store.create(configMaps, configMap("b"), options: .none)
        _ = try await store.delete(configMaps, namespace: "default", name: "a", options: .none)
        let events = try await collect(stream, count: 4)
        #expect(events.map(\.type) == [.added, .modified, .added, .deleted])
        #expect(events.map(\.revision) == [base + 1, base + 2, base + 3, base + 4])
        #expect(events.map { $0.object.name } == ["a", "a", "b", "a"])
        #expect(events[3].object.resourceVersion == String(base + 4))
    }

    @Test(arguments: BackendKind.allCases)
    func watchFromARevisionReplaysWhatCameAfter(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        for name in ["a", "b", "c"] { _ = try await store.create(configMaps, configMap(name), options: .none) }
        let stream = try await store.watch(configMaps, options: WatchOptions(resourceVersion: base + 1))
        let events = try await collect(stream, count: 2)
        #expect(events.map { $0.object.name } == ["b", "c"])
    }

    @Test(arguments: BackendKind.allCases)
    func watchWithoutRevisionStartsWithCurrentObjects(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        for name in ["a", "b"] { _ = try await store.create(configMaps, configMap(name), options: .none) }
        let stream = try await store.watch(configMaps, options: WatchOptions())
        _ = try await store.create(configMaps, configMap("c"), options: .none)
        let events = try await collect(stream, count: 3)
        #expect(events.map(\.type) == [.added, .added, .added])
        #expect(events.map { $0.object.name } == ["a", "b", "c"])
    }

    @Test func expiredRevisionIsGone() async throws {
        let store = ResourceStore.memory(historyLimit: 3)
        for i in 0..<10 { _ = try await store.create(configMaps, configMap("cm-\(i)"), options: .none) }
        do {
            _ = try await store.watch(configMaps, options: WatchOptions(resourceVersion: 2))
            Issue.record("expected 410 Expired")
        } catch {
            #expect(error.code == 410)
            #expect(error.reason == .expired)
        }
        // The newest revisions are still there.
        let stream = try await store.watch(configMaps, options: WatchOptions(resourceVersion: 8))
        #expect(try await collect(stream, count: 2).map(\.revision) == [9, 10])
    }

    @Test func explicitCompactionExpiresOlderRevisions() async throws {
        let store = ResourceStore.memory()
        for i in 0..<5 { _ = try await store.create(configMaps, configMap("cm-\(i)"), options: .none) }
        await store.backend.compact(through: 3)
        await #expect(throws: APIError.self) { _ = try await store.watch(configMaps, options: WatchOptions(resourceVersion: 2)) }
        _ = try await store.watch(configMaps, options: WatchOptions(resourceVersion: 3))
    }

    @Test func selectorTransitionsBecomeAddedAndDeleted() async throws {
        let store = ResourceStore.memory()
        let filter = ObjectFilter(labelSelector: try Selector(parsing: "tier=edge"))
        let stream = try await store.watch(configMaps, options: WatchOptions(filter: filter, resourceVersion: 0))
        let created = try await store.create(configMaps, configMap("a", labels: ["tier": "cloud"]), options: .none)
        var toEdge = created
        toEdge.setMetadata("labels", ["tier": "edge"])
        let edge = try await store.update(configMaps, toEdge, options: .none)
        var back = edge
        back.setMetadata("labels", ["tier": "cloud"])
        _ = try await store.update(configMaps, back, options: .none)
        let events = try await collect(stream, count: 2)
        #expect(events.map(\.type) == [.added, .deleted])
    }

    @Test func namespaceScopedWatchSeesOnlyItsNamespace() async throws {
        let store = ResourceStore.memory()
        let stream = try await store.watch(configMaps, options: WatchOptions(filter: ObjectFilter(namespace: "games"), resourceVersion: 0))
        _ = try await store.create(configMaps, configMap("x", namespace: "other"), options: .none)
        _ = try await store.create(configMaps, configMap("y", namespace: "games"), options: .none)
        let events = try await collect(stream, count: 1)
        #expect(events.first?.object.name == "y")
    }

    @Test func cancellingAWatchUnsubscribes() async throws {
        let backend = try IndexedBackend(persistence: nil)
        let store = ResourceStore(backend: backend)
        let task = Task {
            let stream = try await store.watch(configMaps, options: WatchOptions(resourceVersion: 0))
            for await _ in stream {}
        }
        while backend.watcherCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        _ = await task.result
        while backend.watcherCount != 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(backend.watcherCount == 0)
    }

    @Test func manyWatchersEachSeeEveryEvent() async throws {
        let store = ResourceStore.memory()
        let streams = try await (0..<50).asyncMap { _ in try await store.watch(configMaps, options: WatchOptions(resourceVersion: 0)) }
        for i in 0..<20 { _ = try await store.create(configMaps, configMap("cm-\(i)"), options: .none) }
        for stream in streams {
            let events = try await collect(stream, count: 20)
            #expect(events.map(\.revision) == Array(1...20))
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
