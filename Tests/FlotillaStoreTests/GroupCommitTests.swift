import FlotillaAPI
import Foundation
import Synchronization
import Testing
@testable import FlotillaStore

/// `IndexedBackend` with persistence commits concurrent writes together. These check what that must not change:
/// compare-and-swap against changes still waiting to commit, gap-free revisions seen in order by watchers, every
/// acknowledged write durable, and a failed commit leaving nothing behind.
@Suite struct GroupCommitTests {
    static func temporaryPath() throws -> (directory: URL, path: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-group-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory, directory.appendingPathComponent("store.sqlite").path)
    }

    static func key(_ name: String) -> StorageKey { StorageKey(bucket: "/configmaps", key: "default/\(name)") }

    @Test func concurrentWritersKeepCompareAndSwapRevisionsAndDurability() async throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The store lives in this block: one store owns the file at a time, so it is reopened once this one is gone.
        let acknowledged: [(String, Int64, Int)]
        let final: Int64
        do {
            let backend = try IndexedBackend(persistence: try SQLitePersistence(path: path))
            let events = try await backend.watch(bucket: "/configmaps", prefix: "", after: 0)
            _ = try await backend.create(Self.key("shared"), value: ["n": 0])

            // 40 writers each create their own key and update it five times; all of them also race on one shared key.
            acknowledged = try await withThrowingTaskGroup(of: (String, Int64, Int).self) { group in
                for writer in 0..<40 {
                    group.addTask {
                        var kv = try await backend.create(Self.key("w\(writer)"), value: ["n": 0])
                        for step in 1...5 {
                            kv = try await backend.update(Self.key("w\(writer)"), value: ["n": .integer(Int64(step))], expectedRevision: kv.modRevision)
                        }
                        var won = 0
                        for _ in 0..<5 {
                            guard let shared = try await backend.get(Self.key("shared")) else { continue }
                            do throws(BackendError) {
                                _ = try await backend.update(Self.key("shared"), value: ["by": .integer(Int64(writer))], expectedRevision: shared.modRevision)
                                won += 1
                            } catch {
                                // Another writer's change (committed or still waiting) came first: the CAS must say so.
                                guard case .revisionMismatch = error else { throw error }
                            }
                        }
                        return ("w\(writer)", kv.modRevision, won)
                    }
                }
                var results: [(String, Int64, Int)] = []
                for try await result in group { results.append(result) }
                return results
            }
            let wins = acknowledged.reduce(0) { $0 + $1.2 }
            final = await backend.currentRevision()
            // 1 shared create + 40 creates + 200 own updates + every successful shared update, nothing else.
            #expect(final == Int64(1 + 40 + 200 + wins))

            var seen: [Int64] = []
            for await batch in events {
                seen += batch.map(\.revision)
                if batch.last?.revision == final { break }
            }
            #expect(seen == Array(1...final))
        }

        // Reopened from the file: every writer's last acknowledged version, and the revision.
        let reopened = try IndexedBackend(persistence: try SQLitePersistence(path: path))
        #expect(await reopened.currentRevision() == final)
        for (name, revision, _) in acknowledged {
            let stored = try await reopened.get(Self.key(name))
            #expect(stored?.modRevision == revision)
            #expect(stored?.value["n"] == JSONValue.integer(5))
        }
    }

    /// The revision survives a reopen whether the last write was a put (its row holds it) or a delete (no row does,
    /// so the commit records it), including a delete of the newest row and puts after a delete.
    @Test func theRevisionSurvivesReopeningAfterPutsAndDeletes() async throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        var backend: IndexedBackend! = try IndexedBackend(persistence: try SQLitePersistence(path: path))
        /// Closes the store and opens its file again: one store owns the file at a time.
        func reopen() throws {
            backend = nil
            backend = try IndexedBackend(persistence: try SQLitePersistence(path: path))
        }
        _ = try await backend.create(Self.key("a"), value: ["v": 1])
        let b = try await backend.create(Self.key("b"), value: ["v": 1])
        try reopen()
        #expect(await backend.currentRevision() == 2)
        let deleted = try await backend.delete(Self.key("b"), expectedRevision: b.modRevision)  // the newest row goes
        #expect(deleted.modRevision == 3)
        try reopen()
        #expect(await backend.currentRevision() == 3)
        _ = try await backend.create(Self.key("c"), value: ["v": 1])
        _ = try await backend.update(Self.key("c"), value: ["v": 2], expectedRevision: 4)
        try reopen()
        #expect(await backend.currentRevision() == 5)
        let c = try await backend.get(Self.key("c"))
        _ = try await backend.delete(Self.key("c"), expectedRevision: c?.modRevision)
        _ = try await backend.delete(Self.key("a"), expectedRevision: nil)  // nothing is left
        #expect(await backend.currentRevision() == 7)
        try reopen()
        #expect(await backend.currentRevision() == 7)
        // Writes after the reopen continue from there.
        #expect(try await backend.create(Self.key("d"), value: ["v": 1]).modRevision == 8)
    }

    /// Persistence that fails while told to.
    final class FlakyPersistence: Persistence {
        let inner: SQLitePersistence
        let failing = Mutex(false)
        init(_ inner: SQLitePersistence) { self.inner = inner }
        func load() throws(BackendError) -> (revision: Int64, items: [KeyValue]) { try inner.load() }
        func commit(_ changes: [PersistedChange]) throws(BackendError) {
            if failing.withLock({ $0 }) { throw .storage("disk on fire") }
            try inner.commit(changes)
        }
    }

    @Test func aFailedCommitLeavesNothingAndTheNextWriteStartsFromTheCommittedState() async throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {  // the store is closed at the end of the block, then its file reopened
            let persistence = FlakyPersistence(try SQLitePersistence(path: path))
            let backend = try IndexedBackend(persistence: persistence)
            let first = try await backend.create(Self.key("a"), value: ["v": 1])

            persistence.failing.withLock { $0 = true }
            await withTaskGroup(of: Void.self) { group in
                for name in ["b", "c", "d"] {
                    group.addTask {
                        await #expect(throws: BackendError.self) { _ = try await backend.create(Self.key(name), value: ["v": 1]) }
                    }
                }
                group.addTask {
                    await #expect(throws: BackendError.self) {
                        _ = try await backend.update(Self.key("a"), value: ["v": 2], expectedRevision: first.modRevision)
                    }
                }
            }
            #expect(await backend.currentRevision() == first.modRevision)
            #expect(try await backend.get(Self.key("b")) == nil)
            #expect(try await backend.get(Self.key("a"))?.value == ["v": 1])

            persistence.failing.withLock { $0 = false }
            let updated = try await backend.update(Self.key("a"), value: ["v": 3], expectedRevision: first.modRevision)
            #expect(updated.modRevision == first.modRevision + 1)
            let created = try await backend.create(Self.key("b"), value: ["v": 1])
            #expect(created.modRevision == first.modRevision + 2)
        }
        let reopened = try IndexedBackend(persistence: try SQLitePersistence(path: path))
        #expect(try await reopened.get(Self.key("a"))?.value == ["v": 3])
        #expect(try await reopened.get(Self.key("c")) == nil)
    }

    /// Watches cancelled while commits stream to them. A cancelled watch's stream ends inside Swift's cancellation
    /// machinery, under the consumer task's status lock, while a commit yields to that stream under the store's lock;
    /// ending a watch must not take the store's lock (it did, and a bench hung in that deadlock).
    @Test func watchesCancelledDuringCommitsNeverDeadlock() async throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let backend = try IndexedBackend(persistence: try SQLitePersistence(path: path))
        let writers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        var kv = try await backend.create(Self.key("w\(writer)"), value: ["n": 0])
                        for step in 1...1500 {
                            kv = try await backend.update(kv.key, value: ["n": .integer(Int64(step))], expectedRevision: kv.modRevision)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        var rounds = 0
        while rounds < 300, !(await backend.currentRevision() >= 6004) {
            let watchers = (0..<8).map { _ in
                Task {
                    var seen = 0
                    for await batch in try await backend.watch(bucket: "/configmaps", prefix: "", after: await backend.currentRevision()) { seen += batch.count }
                    return seen
                }
            }
            try await Task.sleep(for: .milliseconds(2))
            for watcher in watchers { watcher.cancel() }
            for watcher in watchers { _ = try await watcher.value }
            rounds += 1
        }
        try await writers.value
        #expect(await backend.currentRevision() == 6004)
        #expect(backend.watcherCount == 0)
    }
}
