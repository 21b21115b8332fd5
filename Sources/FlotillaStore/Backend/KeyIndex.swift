import FlotillaAPI

/// The current value of every key, grouped by bucket, with each bucket's keys kept sorted for ranges.
struct KeyIndex {
    /// A bucket's keys are sorted lazily: a new key waits in `added` until the next range merges it in. Inserting each
    /// into the sorted array moved half the array on every create, so a bucket that only grows (Events, thousands a
    /// second from the scheduler) cost O(keys) per write; now a write is O(1) and a range after writes pays one merge.
    struct Bucket {
        var entries: [String: KeyValue] = [:]
        /// Every key as of the last merge, in order; may still hold keys removed since (skipped, dropped by the merge).
        private(set) var sortedKeys: [String] = []
        private var added: [String] = []
        private var removedSinceMerge = 0

        /// First position in `sortedKeys` whose key is not less than `key`.
        func lowerBound(_ key: String) -> Int {
            var low = 0
            var high = sortedKeys.count
            while low < high {
                let mid = (low + high) / 2
                if sortedKeys[mid] < key { low = mid + 1 } else { high = mid }
            }
            return low
        }

        mutating func put(_ kv: KeyValue) {
            if entries.updateValue(kv, forKey: kv.key.key) == nil { added.append(kv.key.key) }
        }

        mutating func remove(_ key: String) {
            if entries.removeValue(forKey: key) != nil { removedSinceMerge += 1 }
        }

        /// Brings `sortedKeys` up to date: the added keys sorted and merged in, removed ones dropped, each key once (a
        /// key removed and added again may be in both lists).
        mutating func merge() {
            guard !added.isEmpty || removedSinceMerge > 0 else { return }
            if removedSinceMerge == 0, added.count <= 8 {
                // A few new keys: inserted in place, moving the array's tail (no retains) rather than copying it all.
                for key in added where entries[key] != nil {
                    let index = lowerBound(key)
                    if index == sortedKeys.count || sortedKeys[index] != key { sortedKeys.insert(key, at: index) }
                }
                added = []
                return
            }
            let fresh = added.sorted()
            var merged: [String] = []
            merged.reserveCapacity(entries.count)
            var old = 0
            var new = 0
            while old < sortedKeys.count || new < fresh.count {
                let key: String
                if new == fresh.count || (old < sortedKeys.count && sortedKeys[old] <= fresh[new]) {
                    key = sortedKeys[old]
                    old += 1
                } else {
                    key = fresh[new]
                    new += 1
                }
                if entries[key] != nil, merged.last != key { merged.append(key) }
            }
            sortedKeys = merged
            added = []
            removedSinceMerge = 0
        }
    }

    private(set) var buckets: [String: Bucket] = [:]

    func get(_ key: StorageKey) -> KeyValue? { buckets[key.bucket]?.entries[key.key] }

    mutating func put(_ kv: KeyValue) { buckets[kv.key.bucket, default: Bucket()].put(kv) }

    mutating func remove(_ key: StorageKey) { buckets[key.bucket]?.remove(key.key) }

    mutating func range(bucket name: String, prefix: String, after: String?, limit: Int?) -> (items: [KeyValue], more: Bool, remaining: Int) {
        buckets[name]?.merge()
        guard let bucket = buckets[name] else { return ([], false, 0) }
        var start = bucket.lowerBound(prefix)
        if let after, after >= prefix {
            start = bucket.lowerBound(after)
            if start < bucket.sortedKeys.count, bucket.sortedKeys[start] == after { start += 1 }
        }
        var items: [KeyValue] = []
        var index = start
        let keys = bucket.sortedKeys
        while index < keys.count, keys[index].hasPrefix(prefix) {
            if let limit, items.count >= limit { break }
            items.append(bucket.entries[keys[index]]!)
            index += 1
        }
        var remaining = 0
        var probe = index
        while probe < keys.count, keys[probe].hasPrefix(prefix) {
            remaining += 1
            probe += 1
        }
        return (items, remaining > 0, remaining)
    }

    var all: [KeyValue] { buckets.values.flatMap { $0.entries.values } }
}
