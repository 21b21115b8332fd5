import FlotillaAPI
import FlotillaRuntime
import KubeClient

/// A member's objects of one kind as a worker's watch last saw them, each held as its JSON bytes and parsed when
/// looked at. A worker looks at a member object when it applies or reports its Work, a few times in the Work's life;
/// it holds one for every Work of its cluster all along. Parsed, a member Deployment was ~5 KB on the control
/// plane, one per Work (100,000 at fleet scale); as bytes it is ~1.3 KB, and parsing it again takes microseconds.
struct MemberCopies {
    private(set) var synced = false
    private var byKey: [String: Entry] = [:]

    private struct Entry {
        var bytes: [UInt8]
        /// `MemberWorker.specVersion` of the object: compared on every event without parsing.
        var specVersion: String?
    }

    mutating func apply(_ event: InformerEvent) {
        switch event {
        case .synced(let items):
            byKey = Dictionary(items.map { (WatchedSet.key($0), Self.entry($0)) }, uniquingKeysWith: { _, last in last })
            synced = true
        case .added(let object), .modified(let object): byKey[WatchedSet.key(object)] = Self.entry(object)
        case .deleted(let object): byKey[WatchedSet.key(object)] = nil
        }
    }

    private static func entry(_ object: JSONValue) -> Entry {
        Entry(bytes: object.serialized(), specVersion: MemberWorker.specVersion(object))
    }

    /// The object with the manifest's namespace and name (or the same key as `object`).
    func object(for manifest: JSONValue) -> JSONValue? {
        byKey[WatchedSet.key(manifest)].flatMap { try? JSONValue.parse($0.bytes) }
    }

    func contains(_ manifest: JSONValue) -> Bool { byKey[WatchedSet.key(manifest)] != nil }

    /// The spec version of the copy held under the object's key; nil when none is held.
    func specVersion(of object: JSONValue) -> String? { byKey[WatchedSet.key(object)]?.specVersion }
}
