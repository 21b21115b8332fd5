import FlotillaAPI
import Foundation
import GRDB

/// Durable storage for `IndexedBackend` in one SQLite file, through GRDB.
///
/// WAL journal with `synchronous=NORMAL`: a commit has reached the operating system (the WAL file) when `commit`
/// returns, so an acknowledged write survives `kill -9` of the process; a power loss may lose the last commits,
/// the documented trade-off of that mode. Each batch of changes goes in one transaction; the store's revision is
/// the newest row's, or recorded with a batch that deletes (see `commit`).
public final class SQLitePersistence: Persistence {
    private let queue: DatabaseQueue
    public let path: String

    public init(path: String) throws(BackendError) {
        self.path = path
        var configuration = Configuration()
        configuration.prepareDatabase { db in
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
            try queue.write { db in
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
        } catch {
            throw .storage("cannot open \(path): \(error)")
        }
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
            try queue.write { db in
                for change in changes {
                    switch change {
                    case .put(let kv, let serialized):
                        try db.cachedStatement(sql: """
                            INSERT INTO objects (bucket, key, value, create_revision, mod_revision) VALUES (?, ?, ?, ?, ?)
                            ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value, mod_revision = excluded.mod_revision
                            """).execute(arguments: [kv.key.bucket, kv.key.key, Data(serialized), kv.createRevision, kv.modRevision])
                    case .delete(let key, _):
                        try db.cachedStatement(sql: "DELETE FROM objects WHERE bucket = ? AND key = ?").execute(arguments: [key.bucket, key.key])
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
                    try db.cachedStatement(sql: "UPDATE meta SET value = ? WHERE name = 'revision'").execute(arguments: [revision])
                }
            }
        } catch {
            throw .storage("write to \(path) failed: \(error)")
        }
    }
}
