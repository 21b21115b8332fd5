import FlotillaAPI
import Foundation
import GRDB
import GRDBSQLite

/// Durable storage for `IndexedBackend` in one SQLite file, through GRDB.
///
/// WAL journal with `synchronous=NORMAL`: a commit has reached the operating system (the WAL file) when `commit`
/// returns, so an acknowledged write survives `kill -9` of the process; a power loss may lose the last commits,
/// the documented trade-off of that mode. Each batch of changes goes in one transaction; the store's revision is
/// the newest row's, or recorded with a batch that deletes (see `commit`).
///
/// One process owns the file (`locking_mode=EXCLUSIVE`): the in-memory index is the only copy reads are served from,
/// so a second store writing the same file would hand out the same revisions twice. A second open waits up to
/// `lockTimeout` for the first to close (a store still shutting down), then fails with "database is locked".
public final class SQLitePersistence: Persistence {
    private let queue: DatabaseQueue
    public let path: String

    /// - Parameter lockTimeout: how long to wait for another connection (a store still closing, another process) to
    ///   let go of the file.
    public init(path: String, lockTimeout: TimeInterval = 5) throws(BackendError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(lockTimeout)
        configuration.prepareDatabase { db in
            // Exclusive before WAL: SQLite then keeps the WAL index in heap memory instead of a shared-memory file and
            // takes no file lock per transaction. With the row table below, the scheduler bench's commits cost ~30 %
            // less CPU, and one client creating bindings while the loop scheduled them went 4,190–4,440 →
            // 4,930–5,090 bindings/s (this setting alone: 4,580–4,720; the row table alone: no change).
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // 32 MiB of page cache instead of SQLite's 2 MiB: updates find their B-tree pages in memory instead of
            // reading them back from the OS (pread was ~4 % of the scheduler bench; its backlog ran ~20 % faster).
            try db.execute(sql: "PRAGMA cache_size = -32768")
            // Checkpoint when the WAL holds 16,000 pages (~64 MiB) instead of SQLite's 1,000: each checkpoint ends in
            // two fsyncs, and with 1,000 pages the scheduler's writes paid them every ~150 bindings. Reads never touch
            // SQLite (the in-memory index serves them), so a longer WAL costs only disk and replay time at open. In a
            // SQLite-only test of this table (4 bindings and their events per transaction) a row cost 94 → 56 µs; the
            // scheduler bench's backlog of 12,000 ran 3,250 → 3,560–4,240 bindings/s.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16000")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(queue)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            throw .storage("cannot open \(path): another store has it open (a flotilla server still running?): database is locked")
        } catch {
            throw .storage("cannot open \(path): \(error)")
        }
    }

    /// The schema's history. Files written before the migrator existed have the first schema without its record; its
    /// `IF NOT EXISTS` makes the first step a no-op for them.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("objects and meta") { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS objects (
                    bucket TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value BLOB NOT NULL,
                    create_revision INTEGER NOT NULL,
                    mod_revision INTEGER NOT NULL,
                    PRIMARY KEY (bucket, key)
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0);
                """)
        }
        // A WITHOUT ROWID table keeps at most ~1 KB of a row in its B-tree page and the rest in overflow pages, so
        // every write of a larger object (a binding placed on 200 clusters is ~6 KB) freed and rewrote a chain of
        // them. A row table keeps up to ~4 KB in the page; the key's index changes only when a key is added or
        // removed.
        migrator.registerMigration("objects as a row table") { db in
            try db.execute(sql: """
                ALTER TABLE objects RENAME TO objects_without_rowid;
                CREATE TABLE objects (
                    bucket TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value BLOB NOT NULL,
                    create_revision INTEGER NOT NULL,
                    mod_revision INTEGER NOT NULL,
                    UNIQUE (bucket, key)
                );
                INSERT INTO objects (bucket, key, value, create_revision, mod_revision)
                    SELECT bucket, key, value, create_revision, mod_revision FROM objects_without_rowid;
                DROP TABLE objects_without_rowid;
                """)
        }
        return migrator
    }

    public func load() throws(BackendError) -> (revision: Int64, items: [KeyValue]) {
        do {
            return try queue.read { db in
                // The last revision is the newest row's, or a later delete's, which `commit` records in meta.
                var revision = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'revision'") ?? 0
                var items: [KeyValue] = []
                let rows = try Row.fetchCursor(db, sql: "SELECT bucket, key, value, create_revision, mod_revision FROM objects")
                while let row = try rows.next() {
                    let data: Data = row[2]
                    let value = try JSONValue.parse(data)
                    let item = KeyValue(key: StorageKey(bucket: row[0], key: row[1]), value: value, createRevision: row[3], modRevision: row[4])
                    revision = max(revision, item.modRevision)
                    items.append(item)
                }
                return (revision, items)
            }
        } catch {
            throw .storage("cannot load \(path): \(error)")
        }
    }

    public func commit(_ changes: [PersistedChange]) throws(BackendError) {
        guard let last = changes.last else { return }
        do {
            try queue.writeWithoutTransaction { db in
                // The group commit's hot path, on SQLite's own API: BEGIN, each statement and COMMIT are prepared once
                // and their arguments bound from the caller's buffers. Through GRDB's transaction and argument layers
                // each commit also parsed BEGIN and COMMIT and copied every blob twice; binding directly took a
                // commit's CPU in the scheduler bench from 56–64 to 44–57 µs.
                let begin = try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION")
                let put = try db.cachedStatement(sql: """
                    INSERT INTO objects (bucket, key, value, create_revision, mod_revision) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value, mod_revision = excluded.mod_revision
                    """)
                let commit = try db.cachedStatement(sql: "COMMIT TRANSACTION")
                try Self.step(begin.sqliteStatement, db)
                do {
                    for change in changes {
                        switch change {
                        case .put(let kv, let serialized):
                            try Self.bind(kv.key, put.sqliteStatement, db) {
                                try serialized.withUnsafeBytes { bytes in
                                    // SQLITE_STATIC: the buffer outlives the step that reads it.
                                    try Self.check(sqlite3_bind_blob(put.sqliteStatement, 3, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                                                                     Int32(bytes.count), nil), db)
                                    try Self.check(sqlite3_bind_int64(put.sqliteStatement, 4, kv.createRevision), db)
                                    try Self.check(sqlite3_bind_int64(put.sqliteStatement, 5, kv.modRevision), db)
                                    try Self.step(put.sqliteStatement, db)
                                }
                            }
                        case .delete(let key, _):
                            let delete = try db.cachedStatement(sql: "DELETE FROM objects WHERE bucket = ? AND key = ?")
                            try Self.bind(key, delete.sqliteStatement, db) { try Self.step(delete.sqliteStatement, db) }
                        }
                    }
                    // A batch of puts leaves its revision in its rows. One with a delete records the batch's last
                    // revision, which no row may hold afterwards. Updating meta in every batch was one more page in
                    // each commit: ~20 % of a small batch's cost.
                    if changes.contains(where: { if case .delete = $0 { true } else { false } }) {
                        let revision: Int64 = switch last {
                        case .put(let kv, _): kv.modRevision
                        case .delete(_, let revision): revision
                        }
                        let setRevision = try db.cachedStatement(sql: "UPDATE meta SET value = ? WHERE name = 'revision'")
                        try Self.check(sqlite3_bind_int64(setRevision.sqliteStatement, 1, revision), db)
                        try Self.step(setRevision.sqliteStatement, db)
                    }
                    try Self.step(commit.sqliteStatement, db)
                } catch {
                    // Nothing of a failed batch stays: its writers are told it failed.
                    if sqlite3_get_autocommit(db.sqliteConnection) == 0 { try? db.execute(sql: "ROLLBACK TRANSACTION") }
                    throw error
                }
            }
        } catch {
            throw .storage("write to \(path) failed: \(error)")
        }
    }

    /// Binds a key's bucket and name to parameters 1 and 2 for the duration of `body`.
    private static func bind(_ key: StorageKey, _ statement: OpaquePointer, _ db: Database, _ body: () throws -> Void) throws {
        var bucket = key.bucket
        var name = key.key
        try bucket.withUTF8 { bucketBytes in
            try name.withUTF8 { nameBytes in
                try check(sqlite3_bind_text(statement, 1, bucketBytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                            Int32(bucketBytes.count), nil), db)
                try check(sqlite3_bind_text(statement, 2, nameBytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                            Int32(nameBytes.count), nil), db)
                try body()
            }
        }
    }

    /// Runs a prepared statement that returns no rows, and resets it (clearing its bindings) for the next use.
    private static func step(_ statement: OpaquePointer, _ db: Database) throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        guard code == SQLITE_DONE else { throw SQLitePersistenceError(code: code, message: String(cString: sqlite3_errmsg(db.sqliteConnection))) }
    }

    private static func check(_ code: Int32, _ db: Database) throws {
        guard code == SQLITE_OK else { throw SQLitePersistenceError(code: code, message: String(cString: sqlite3_errmsg(db.sqliteConnection))) }
    }
}

/// A SQLite call that failed, with SQLite's code and message.
struct SQLitePersistenceError: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    var description: String { "SQLite error \(code): \(message)" }
}
