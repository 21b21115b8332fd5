/// Typed copies of stored objects, decoded once per resourceVersion. A loop that reads every object of a kind
/// on each pass (a site's reconciler, a controller's snapshot) decodes only those that changed since its last
/// pass; decoding, not the work on the typed values, is what such passes spend their time on.
public struct DecodedObjects<T: APIObject>: Sendable {
    /// Boxed, so carrying an entry over to the next pass's table moves one reference, not every field of an object.
    private var entries: [String: DecodedEntry<T>] = [:]

    public init() {}

    /// `objects` decoded, in their order; objects that do not decode are skipped. Forgets objects no longer listed.
    public mutating func decode(_ objects: [JSONValue]) -> [T] {
        var next: [String: DecodedEntry<T>] = [:]
        next.reserveCapacity(objects.count)
        var decoded: [T] = []
        decoded.reserveCapacity(objects.count)
        for object in objects {
            let value: T
            // The uid tells a re-created object from its predecessor; a write always changes the resourceVersion.
            if let version = object.resourceVersion, let key = object.uid ?? object.name.map({ "\(object.namespace ?? "")/\($0)" }) {
                let entry: DecodedEntry<T>
                if let cached = entries[key], cached.version == version {
                    entry = cached
                } else {
                    guard let fresh = try? T(json: object) else { continue }
                    entry = DecodedEntry(version: version, value: fresh)
                }
                next[key] = entry
                value = entry.value
            } else {
                guard let fresh = try? T(json: object) else { continue }
                value = fresh
            }
            decoded.append(value)
        }
        entries = next
        return decoded
    }

    /// Forgets the copies of objects not in `objects` (what `decode(one:)` kept of objects since deleted).
    public mutating func retain(_ objects: [JSONValue]) {
        let live = Set(objects.compactMap { object in object.uid ?? object.name.map { "\(object.namespace ?? "")/\($0)" } })
        entries = entries.filter { live.contains($0.key) }
    }

    /// One object, decoded unless its copy for this resourceVersion is at hand; nil when it does not decode. For a
    /// loop that reads a few objects of a large kind per pass. What `decode(_:)` does not list again is forgotten.
    public mutating func decode(one object: JSONValue) -> T? {
        guard let version = object.resourceVersion, let key = object.uid ?? object.name.map({ "\(object.namespace ?? "")/\($0)" }) else {
            return try? T(json: object)
        }
        if let cached = entries[key], cached.version == version { return cached.value }
        guard let fresh = try? T(json: object) else { return nil }
        entries[key] = DecodedEntry(version: version, value: fresh)
        return fresh
    }
}

final class DecodedEntry<T: Sendable>: Sendable {
    let version: String
    let value: T

    init(version: String, value: T) {
        self.version = version
        self.value = value
    }
}
