import FlotillaAPI
@testable import FlotillaStore
import Foundation
import Testing

/// The history a watch replays from: bounded by count and by bytes, oldest dropped first.
@Suite struct EventHistoryTests {
    static func event(_ revision: Int64) -> BackendEvent {
        let kv = KeyValue(key: StorageKey(bucket: "core/configmaps", key: "default/cm-\(revision)"), value: ["n": .integer(revision)],
                          createRevision: revision, modRevision: revision)
        return BackendEvent(kind: .put, current: kv, previous: nil)
    }

    @Test func countBoundDropsTheOldest() {
        var history = EventHistory(capacity: 3, startRevision: 0)
        for revision in Int64(1)...10 { history.append(Self.event(revision)) }
        #expect(history.count == 3)
        #expect(history.compactedRevision == 7)
        #expect(history.events(after: 7).map(\.revision) == [8, 9, 10])
    }

    @Test func byteBoundDropsTheOldestUntilWithinBudget() {
        var history = EventHistory(capacity: 1_000, byteLimit: 100, startRevision: 0)
        for revision in Int64(1)...5 { history.append(Self.event(revision), bytes: 30) }
        // 5 × 30 > 100: the two oldest went.
        #expect(history.count == 3)
        #expect(history.bytes == 90)
        #expect(history.compactedRevision == 2)
        // One large event pushes out as many as it needs to.
        history.append(Self.event(6), bytes: 80)
        #expect(history.events(after: history.compactedRevision).map(\.revision) == [6])
        #expect(history.bytes == 80)
        // The newest event stays even when it alone is over the budget.
        history.append(Self.event(7), bytes: 500)
        #expect(history.events(after: history.compactedRevision).map(\.revision) == [7])
        #expect(history.compactedRevision == 6)
    }

    @Test func unknownSizesAreBoundedByCountOnly() {
        var history = EventHistory(capacity: 50, byteLimit: 10, startRevision: 0)
        for revision in Int64(1)...40 { history.append(Self.event(revision)) }
        #expect(history.count == 40)
        #expect(history.compactedRevision == 0)
    }

    @Test func manyDropsKeepOrderAndRevisions() {
        var history = EventHistory(capacity: 100, byteLimit: 1_000, startRevision: 0)
        for revision in Int64(1)...10_000 { history.append(Self.event(revision), bytes: Int(revision % 7) * 10 + 1) }
        let held = history.events(after: history.compactedRevision).map(\.revision)
        #expect(held.last == 10_000)
        #expect(held == Array((history.compactedRevision + 1)...10_000))
        #expect(history.bytes <= 1_000)
        #expect(history.events(after: 9_998).map(\.revision) == [9_999, 10_000])
    }

    /// Through the store on SQLite: once the writes after a revision exceed the budget, a watch from it is told the
    /// revision expired (410), and one from a recent revision replays what came after.
    @Test func storeOnSQLiteExpiresRevisionsPastTheByteBudget() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let backend = try IndexedBackend(persistence: try SQLitePersistence(path: dir.appendingPathComponent("s.sqlite").path),
                                         historyLimit: 50_000, historyBytes: 4_096)
        let store = ResourceStore(backend: backend)
        let start = await store.currentRevision()
        let large = String(repeating: "x", count: 1_000)
        for index in 0..<20 { _ = try await store.create(configMaps, configMap("cm-\(index)", data: large), options: .none) }
        do {
            _ = try await store.watch(configMaps, options: WatchOptions(resourceVersion: start + 1))
            Issue.record("expected 410 Expired")
        } catch {
            #expect(error.code == 410)
        }
        let now = await store.currentRevision()
        let stream = try await store.watch(configMaps, options: WatchOptions(resourceVersion: now - 2))
        #expect(try await collect(stream, count: 2).map(\.revision) == [now - 1, now])
        // Nothing stored was lost with the history.
        #expect(try await store.list(configMaps, options: ListOptions()).items.count == 20)
    }
}
