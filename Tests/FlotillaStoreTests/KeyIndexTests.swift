import FlotillaAPI
import Testing
@testable import FlotillaStore

/// The index's ranges against a plain sorted model, through random puts, removes, re-adds and ranges (with
/// prefixes, `after` and limits), so keys sorted lazily come out as if sorted on every write.
@Suite struct KeyIndexTests {
    /// Deterministic, so a failure repeats.
    struct SplitMix {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    @Test(arguments: [1, 2, 3])
    func rangesMatchASortedModel(seed: UInt64) {
        var random = SplitMix(state: seed)
        var index = KeyIndex()
        var model: [String: Int64] = [:]
        let namespaces = ["default", "games", "kube-system"]
        for step in 0..<4_000 {
            let key = "\(namespaces[random.next(3)])/object-\(random.next(300))"
            switch random.next(10) {
            case 0...4:
                index.put(KeyValue(key: StorageKey(bucket: "/things", key: key), value: .integer(Int64(step)), createRevision: 1,
                                   modRevision: Int64(step)))
                model[key] = Int64(step)
            case 5...6:
                index.remove(StorageKey(bucket: "/things", key: key))
                model[key] = nil
            default:
                // Ranges at every point, including right after one or two writes (the in-place path) and after many.
                let prefix = random.next(4) == 0 ? "" : namespaces[random.next(3)] + "/"
                let keys = model.keys.filter { $0.hasPrefix(prefix) }.sorted()
                let after: String? = random.next(3) == 0 && !keys.isEmpty ? keys[random.next(keys.count)] : nil
                let limit: Int? = random.next(2) == 0 ? 1 + random.next(20) : nil
                let rest = keys.filter { after == nil || $0 > after! }
                let expected = limit.map { Array(rest.prefix($0)) } ?? rest
                let result = index.range(bucket: "/things", prefix: prefix, after: after, limit: limit)
                #expect(result.items.map(\.key.key) == expected)
                #expect(result.items.map(\.modRevision) == expected.map { model[$0]! })
                #expect(result.remaining == rest.count - expected.count)
                #expect(result.more == (rest.count > expected.count))
            }
        }
        #expect(Set(index.all.map(\.key.key)) == Set(model.keys))
    }
}
