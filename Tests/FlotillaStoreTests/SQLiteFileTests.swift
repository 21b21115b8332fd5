import FlotillaAPI
import Foundation
import GRDB
import Testing
@testable import FlotillaStore

/// The SQLite file itself: one store owns it, and a file written by an earlier schema opens with everything in it.
@Suite struct SQLiteFileTests {
    static let bucket = "/configmaps"

    @Test func aSecondStoreCannotOpenAFileAnotherHoldsUntilItCloses() throws {
        let (directory, path) = try GroupCommitTests.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let first = try SQLitePersistence(path: path)
            try first.commit([.put(KeyValue(key: StorageKey(bucket: Self.bucket, key: "default/a"), value: ["v": 1], createRevision: 1,
                                            modRevision: 1), serialized: Array(#"{"v":1}"#.utf8))])
            // Two stores on one file would number their writes independently: the second is refused.
            let refused = #expect(throws: BackendError.self) { _ = try SQLitePersistence(path: path, lockTimeout: 0.2) }
            #expect(refused.map { "\($0)" }?.contains("database is locked") == true)
        }
        // Once the first is closed, the file opens with what it committed.
        let loaded = try SQLitePersistence(path: path, lockTimeout: 0.2).load()
        #expect(loaded.revision == 1)
        #expect(loaded.items.map(\.value) == [["v": 1]])
    }

    /// Files written before the row table (the first schema: `WITHOUT ROWID`, no migration record) keep their
    /// objects, revisions and recorded revision, and take new writes.
    @Test func aFileWithTheFirstSchemaIsMigratedWithEverythingInIt() throws {
        let (directory, path) = try GroupCommitTests.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let old = try DatabaseQueue(path: path)
            try old.write { db in
                try db.execute(sql: """
                    CREATE TABLE objects (
                        bucket TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                        create_revision INTEGER NOT NULL, mod_revision INTEGER NOT NULL,
                        PRIMARY KEY (bucket, key)
                    ) WITHOUT ROWID;
                    CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                    INSERT INTO meta (name, value) VALUES ('revision', 9);
                    """)
                try db.execute(sql: "INSERT INTO objects VALUES (?, ?, ?, ?, ?)",
                               arguments: [Self.bucket, "default/a", Data(#"{"v":1}"#.utf8), 3, 5])
                try db.execute(sql: "INSERT INTO objects VALUES (?, ?, ?, ?, ?)",
                               arguments: [Self.bucket, "default/b", Data(#"{"v":2}"#.utf8), 4, 4])
            }
        }
        do {
            let migrated = try SQLitePersistence(path: path)
            let loaded = try migrated.load()
            #expect(loaded.revision == 9)
            let items = loaded.items.sorted { $0.key.key < $1.key.key }
            #expect(items.map(\.key.key) == ["default/a", "default/b"])
            #expect(items.map(\.value) == [["v": 1], ["v": 2]])
            #expect(items.map(\.createRevision) == [3, 4])
            #expect(items.map(\.modRevision) == [5, 4])
            // An update of a migrated row and a new one.
            try migrated.commit([
                .put(KeyValue(key: StorageKey(bucket: Self.bucket, key: "default/a"), value: ["v": 10], createRevision: 3, modRevision: 10),
                     serialized: Array(#"{"v":10}"#.utf8)),
                .put(KeyValue(key: StorageKey(bucket: Self.bucket, key: "default/c"), value: ["v": 3], createRevision: 11, modRevision: 11),
                     serialized: Array(#"{"v":3}"#.utf8)),
            ])
        }
        let schema = try DatabaseQueue(path: path).read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'objects'")
        }
        #expect(schema?.contains("WITHOUT ROWID") == false)
        // Opened again: the migration is not repeated, and the writes are there.
        let reloaded = try SQLitePersistence(path: path).load()
        #expect(reloaded.revision == 11)
        let values = Dictionary(uniqueKeysWithValues: reloaded.items.map { ($0.key.key, $0.value) })
        #expect(values == ["default/a": ["v": 10], "default/b": ["v": 2], "default/c": ["v": 3]])
    }
}
