import FlotillaAPI
import KubeClient

/// Objects kept current by an informer, by namespace/name.
package struct WatchedSet {
    package private(set) var synced = false
    private var byKey: [String: JSONValue] = [:]
    /// Moves on with every event applied: equal revisions of one set hold the same objects.
    package private(set) var revision = 0

    package var objects: [JSONValue] { Array(byKey.values) }

    package init() {}

    package mutating func apply(_ event: InformerEvent) {
        revision += 1
        switch event {
        case .synced(let items):
            byKey = Dictionary(items.map { (Self.key($0), $0) }, uniquingKeysWith: { _, last in last })
            synced = true
        case .added(let object), .modified(let object): byKey[Self.key(object)] = object
        case .deleted(let object): byKey[Self.key(object)] = nil
        }
    }

    package static func key(_ object: JSONValue) -> String { "\(object.namespace ?? "")/\(object.name ?? "")" }

    /// The object with the manifest's namespace and name.
    package func object(for manifest: JSONValue) -> JSONValue? { byKey[Self.key(manifest)] }

    package func object(key: String) -> JSONValue? { byKey[key] }
}
