import FlotillaStore

/// kube-apiserver's key layout: `<prefix>/<group>/<resource>/<namespace>/<name>` (`<prefix>/<group>/<resource>/<name>`
/// for cluster-scoped kinds; the core group is spelled `core`), so `etcdctl get --prefix /registry` shows every
/// object as JSON. A bucket is always `<group>/<resource>`: two segments, which is how a key is read back.
struct EtcdKeys: Sendable {
    /// `/registry` (no trailing slash), or empty for the root.
    let prefix: String

    func key(_ key: StorageKey) -> [UInt8] { Array("\(prefix)/\(key.bucket)/\(key.key)".utf8) }

    /// The first key of `bucket` starting with `prefix`.
    func start(bucket: String, prefix keyPrefix: String) -> [UInt8] { Array("\(prefix)/\(bucket)/\(keyPrefix)".utf8) }

    /// Every key Flotilla stores: `<prefix>/`.
    var all: [UInt8] { Array("\(prefix)/".utf8) }

    /// The key compaction is coordinated on (kube-apiserver's `compact_rev_key`): outside every bucket.
    var compaction: [UInt8] { Array("\(prefix)/compact_rev_key".utf8) }

    /// The first key after every key that starts with `start`: etcd's `range_end` for a prefix.
    static func rangeEnd(_ start: [UInt8]) -> [UInt8] {
        var end = start
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]  // every key
    }

    /// The key just after `key`: where a range continues strictly after it.
    static func successor(_ key: [UInt8]) -> [UInt8] { key + [0] }

    /// Reads a stored key back; nil for keys that are not objects (the compaction key, foreign keys).
    func storageKey(_ raw: [UInt8]) -> StorageKey? {
        let text = String(decoding: raw, as: UTF8.self)
        guard text.hasPrefix(prefix + "/") else { return nil }
        let parts = text.dropFirst(prefix.count + 1).split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        return StorageKey(bucket: "\(parts[0])/\(parts[1])", key: String(parts[2]))
    }
}
