import FlotillaAPI

/// The current value of every key, grouped by bucket, with each bucket's keys kept sorted for ranges.
struct KeyIndex {
    struct Bucket {
        var entries: [String: KeyValue] = [:]
        var sortedKeys: [String] = []

        /// First position whose key is not less than `key`.
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
            if entries.updateValue(kv, forKey: kv.key.key) == nil {
                sortedKeys.insert(kv.key.key, at: lowerBound(kv.key.key))
            }
        }

        mutating func remove(_ key: String) {
            guard entries.removeValue(forKey: key) != nil else { return }
            let index = lowerBound(key)
            if index < sortedKeys.count, sortedKeys[index] == key { sortedKeys.remove(at: index) }
        }
    }

    private(set) var buckets: [String: Bucket] = [:]

    func get(_ key: StorageKey) -> KeyValue? { buckets[key.bucket]?.entries[key.key] }

    mutating func put(_ kv: KeyValue) { buckets[kv.key.bucket, default: Bucket()].put(kv) }

    mutating func remove(_ key: StorageKey) { buckets[key.bucket]?.remove(key.key) }

    func range(bucket name: String, prefix: String, after: String?, limit: Int?) -> (items: [KeyValue], more: Bool, remaining: Int) {
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
