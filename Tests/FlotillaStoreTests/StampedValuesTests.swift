import FlotillaAPI
import Foundation
import Testing
@testable import FlotillaStore

/// `IndexedBackend` keeps each object stamped with its version, so a read hands out the stored tree instead of a
/// copy per reader; what readers see does not change, and an unchanged update still writes nothing.
@Suite struct StampedValuesTests {
    @Test func objectsAreKeptStampedWithTheirVersionAlsoAfterAReopen() async throws {
        let (directory, path) = try GroupCommitTests.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try ResourceStore.storageKey(configMaps, namespace: "default", name: "a")
        let created: JSONValue
        let updated: JSONValue
        do {
            let backend = try IndexedBackend(persistence: try SQLitePersistence(path: path))
            let store = ResourceStore(backend: backend)
            created = try await store.create(configMaps, configMap("a"), options: .none)
            let held = try #require(try await backend.get(key))
            #expect(held.value.resourceVersion == String(held.modRevision))
            #expect(ResourceStore.materialize(held) == created)

            // Unchanged: no write. Changed labels (metadata only): a write, stamped with its new version.
            let again = try await store.update(configMaps, created, options: .none)
            #expect(again.resourceVersion == created.resourceVersion)
            var relabelled = created
            relabelled.setMetadata("labels", ["tier": "edge"])
            updated = try await store.update(configMaps, relabelled, options: .none)
            #expect(updated.resourceVersion != created.resourceVersion)
            let after = try #require(try await backend.get(key))
            #expect(after.value.resourceVersion == String(after.modRevision))
            #expect(after.value == updated)
        }
        // What SQLite holds is the value as written; loading stamps it again.
        let reopened = try IndexedBackend(persistence: try SQLitePersistence(path: path))
        let loaded = try #require(try await reopened.get(key))
        #expect(loaded.value == updated)
        #expect(try await ResourceStore(backend: reopened).get(configMaps, namespace: "default", name: "a") == updated)
    }

    /// A value that is not an object with metadata is kept as it came.
    @Test func otherValuesAreKeptAsTheyCame() {
        #expect(IndexedBackend.stamped(["n": 1], 7) == ["n": 1])
        #expect(IndexedBackend.stamped(.string("x"), 7) == .string("x"))
        #expect(IndexedBackend.stamped(["metadata": ["name": "a"]], 7) == ["metadata": ["name": "a", "resourceVersion": "7"]])
    }
}
