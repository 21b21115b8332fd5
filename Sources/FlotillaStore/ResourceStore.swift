import FlotillaAPI
import Foundation

/// Kubernetes object semantics over a `StorageBackend`. This is the one place that sets uid, creationTimestamp,
/// resourceVersion and generation, applies finalizers, and turns backend failures into `APIError`s.
public final class ResourceStore: Store {
    public let backend: any StorageBackend
    let clock: any TimeSource

    public init(backend: any StorageBackend, clock: any TimeSource = SystemTimeSource()) {
        self.backend = backend
        self.clock = clock
    }

    /// The default durable store: SQLite at `path` (created if missing).
    public static func sqlite(path: String, clock: any TimeSource = SystemTimeSource(), historyLimit: Int = 50_000)
        throws(BackendError) -> ResourceStore
    {
        ResourceStore(backend: try IndexedBackend(persistence: try SQLitePersistence(path: path), historyLimit: historyLimit),
            clock: clock)
    }

    /// A store that keeps everything in memory (tests, benchmarks, throwaway runs).
    public static func memory(clock: any TimeSource = SystemTimeSource(), historyLimit: Int = 50_000) -> ResourceStore {
        // Without persistence, construction cannot fail.
        ResourceStore(backend: try! IndexedBackend(persistence: nil, historyLimit: historyLimit), clock: clock)
    }

    public func currentRevision() async -> Int64 { await backend.currentRevision() }

    // MARK: Keys

    static func bucket(_ resource: GroupResource) -> String {
        "\(resource.group.isEmpty ? "core" : resource.group)/\(resource.resource)"
    }

    static func storageKey(_ resource: GroupResource, namespace: String?, name: String) throws(APIError) -> StorageKey {
        if let problem = NameValidation.pathSegmentName(name).first ?? (name.isEmpty ? "is required" : nil) {
            throw .badRequest("invalid name \"\(name)\": \(problem)")
        }
        let ns = namespace ?? ""
        if ns.utf8.contains(UInt8(ascii: "/")) { throw .badRequest("invalid namespace \"\(ns)\"") }
        return StorageKey(bucket: bucket(resource), key: ns.isEmpty ? name : "\(ns)/\(name)")
    }

    /// The object as clients see it: the stored value with `resourceVersion` = the key's modRevision. A value the
    /// backend keeps stamped already (`IndexedBackend.stamped`) is handed out as it is.
    static func materialize(_ kv: KeyValue) -> JSONValue {
        let version = String(kv.modRevision)
        if kv.value.resourceVersion == version { return kv.value }
        var object = kv.value
        object.setMetadata("resourceVersion", .string(version))
        return object
    }

    /// Whether `next` (metadata without a resourceVersion) is what `current` holds, whether or not the backend
    /// keeps `current` stamped with its version.
    static func same(_ next: JSONValue, asStored current: KeyValue) -> Bool {
        guard case .object(let written) = next, case .object(let stored) = current.value, written.count == stored.count else {
            return next == current.value
        }
        for (key, value) in written {
            guard let held = stored[key] else { return false }
            guard key == "metadata", case .object(let meta) = value, case .object(let heldMeta) = held,
                  meta["resourceVersion"] == nil, heldMeta["resourceVersion"] != nil else {
                if value != held { return false }
                continue
            }
            guard meta.count == heldMeta.count - 1 else { return false }
            for (name, field) in meta where heldMeta[name] != field { return false }
        }
        return true
    }

    func now() -> JSONValue { .string(Timestamp(clock.now()).rfc3339) }

    static func translate(_ error: BackendError, _ resource: GroupResource, name: String) -> APIError {
        switch error {
        case .keyExists: return .alreadyExists(resource, name: name)
        case .keyNotFound: return .notFound(resource, name: name)
        case .revisionMismatch:
            return .conflict(resource, name: name, "the object has been modified; please apply your changes to the latest version and try again")
        case .compacted(let oldest): return .expired("too old resource version (oldest available is \(oldest))")
        case .storage(let message): return .internalError("storage error: \(message)")
        case .unavailable(let message): return APIError(.serviceUnavailable, "storage unavailable: \(message)")
        }
    }

    // MARK: Generation

    /// Everything but metadata and status: a change here is a spec change and bumps `generation`.
    static func specPart(_ object: JSONValue) -> JSONValue {
        guard case .object(var members) = object else { return object }
        members["metadata"] = nil
        members["status"] = nil
        members["apiVersion"] = nil
        members["kind"] = nil
        return .object(members)
    }

    // MARK: Create

    static let nameAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// A random (version 4) UUID, lower case as Kubernetes writes them. From the system generator (`getrandom`):
    /// Foundation's `UUID()` opens and closes /dev/urandom on every call on Linux, ~2 % of a create-heavy profile.
    static func newUID() -> String {
        var random = SystemRandomNumberGenerator()
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &uuid) { bytes in
            bytes.storeBytes(of: random.next() as UInt64, toByteOffset: 0, as: UInt64.self)
            bytes.storeBytes(of: random.next() as UInt64, toByteOffset: 8, as: UInt64.self)
            bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
            bytes[8] = bytes[8] & 0x3F | 0x80  // the RFC 4122 variant
        }
        return UUID(uuid: uuid).uuidString.lowercased()
    }

    public func create(_ resource: GroupResource, _ object: JSONValue, options: WriteOptions) async throws(APIError) -> JSONValue {
        guard object.objectValue != nil else { throw .badRequest("the object must be a JSON object") }
        var prepared = object
        var meta = prepared.metadata
        meta["resourceVersion"] = nil
        meta["deletionTimestamp"] = nil
        meta["deletionGracePeriodSeconds"] = nil
        meta["uid"] = .string(Self.newUID())
        meta["creationTimestamp"] = now()
        meta["generation"] = .integer(1)
        let namespace = meta["namespace"]?.stringValue
        let explicitName = meta["name"]?.stringValue ?? ""
        let generateName = meta["generateName"]?.stringValue ?? ""
        guard !explicitName.isEmpty || !generateName.isEmpty else {
            throw .invalid(kind: object.kind ?? resource.resource, group: resource.group, name: "",
                errors: [.required(FieldPath("metadata.name"), "name or generateName is required")])
        }
        // A generated name may collide; try a few suffixes before giving up, as the API server does.
        let attempts = explicitName.isEmpty ? 8 : 1
        for attempt in 1...attempts {
            let name = explicitName.isEmpty
                ? generateName + String((0..<5).map { _ in Self.nameAlphabet.randomElement()! })
                : explicitName
            meta["name"] = .string(name)
            prepared.metadata = meta
            let key = try Self.storageKey(resource, namespace: namespace, name: name)
            if options.dryRun {
                if try await existing(key, resource, name: name, required: false) != nil {
                    if attempt < attempts { continue }
                    throw .alreadyExists(resource, name: name)
                }
                return prepared
            }
            do {
                return Self.materialize(try await backend.create(key, value: prepared))
            } catch .keyExists where attempt < attempts {
                continue
            } catch {
                throw Self.translate(error, resource, name: name)
            }
        }
        throw .alreadyExists(resource, name: generateName)
    }

    // MARK: Get

    func existing(_ key: StorageKey, _ resource: GroupResource, name: String, required: Bool = true) async throws(APIError) -> KeyValue? {
        let kv: KeyValue?
        do { kv = try await backend.get(key) } catch { throw Self.translate(error, resource, name: name) }
        if kv == nil, required { throw .notFound(resource, name: name) }
        return kv
    }

    public func get(_ resource: GroupResource, namespace: String?, name: String) async throws(APIError) -> JSONValue {
        let key = try Self.storageKey(resource, namespace: namespace, name: name)
        return Self.materialize(try await existing(key, resource, name: name)!)
    }

    // MARK: Update

    public func update(_ resource: GroupResource, _ object: JSONValue, options: WriteOptions) async throws(APIError) -> JSONValue {
        guard object.objectValue != nil else { throw .badRequest("the object must be a JSON object") }
        guard let name = object.name, !name.isEmpty else {
            throw .invalid(kind: object.kind ?? resource.resource, group: resource.group, name: "",
                errors: [.required(FieldPath("metadata.name"))])
        }
        let key = try Self.storageKey(resource, namespace: object.namespace, name: name)
        return try await withCurrent(key, resource, name: name) { (current, verified) throws(APIError) in
            try await update(resource, object, key: key, name: name, current: current, verified: verified, options: options)
        }
    }

    /// What a write decided from the key's value, when that value came from the backend's cache: done, or read
    /// the key afresh and decide again (the cached copy may be stale).
    enum Attempt<T> {
        case done(T)
        case readAgain
    }

    /// Runs `decide` on the key's current value: first on the backend's cached copy when it has one (kube-apiserver's
    /// GuaranteedUpdate does the same with its watch cache: one round trip instead of two when the copy is current),
    /// then, if that attempt failed or wants it, on a fresh read. A decision that would answer without writing
    /// (a no-op, a dry run) on a cached copy asks for the fresh read, so no answer rests on a stale value.
    func withCurrent<T>(_ key: StorageKey, _ resource: GroupResource, name: String,
                        _ decide: (KeyValue, _ verified: Bool) async throws(APIError) -> Attempt<T>) async throws(APIError) -> T {
        if let cached = await backend.cached(key) {
            do throws(APIError) {
                if case .done(let result) = try await decide(cached, false) { return result }
            } catch {
                // Stale or not, the fresh read below decides.
            }
        }
        let current = try await existing(key, resource, name: name)!
        switch try await decide(current, true) {
        case .done(let result): return result
        case .readAgain: throw .internalError("a write on a fresh read asked for another")
        }
    }

    func update(_ resource: GroupResource, _ object: JSONValue, key: StorageKey, name: String, current: KeyValue, verified: Bool,
                options: WriteOptions) async throws(APIError) -> Attempt<JSONValue> {
        if let requested = object.resourceVersion, !requested.isEmpty {
            guard let revision = Int64(requested) else {
                throw .badRequest("invalid resourceVersion \"\(requested)\": must be a resourceVersion returned by this server")
            }
            if revision != current.modRevision {
                throw .conflict(resource, name: name,
                    "the object has been modified; please apply your changes to the latest version and try again")
            }
        }
        if let uid = object.uid, !uid.isEmpty, uid != current.value.uid {
            throw .conflict(resource, name: name,
                "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current.value.uid ?? "")")
        }

        var next = object
        var meta = next.metadata
        let old = current.value.metadata
        for preserved in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "namespace"] {
            meta[preserved] = old[preserved]
        }
        meta["resourceVersion"] = nil
        let oldGeneration = old["generation"]?.int64Value ?? 1
        next.metadata = meta
        let specChanged = Self.specPart(next) != Self.specPart(current.value)
        meta["generation"] = .integer(specChanged ? oldGeneration + 1 : oldGeneration)
        next.metadata = meta

        let beingDeleted = current.value.deletionTimestamp != nil
        if beingDeleted {
            let added = Set(next.finalizers).subtracting(current.value.finalizers)
            if !added.isEmpty {
                throw .invalid(kind: object.kind ?? resource.resource, group: resource.group, name: name,
                    errors: [.forbidden(FieldPath("metadata.finalizers"), "no new finalizers can be added if the object is being deleted, found new finalizers \(added.sorted())")])
            }
            if next.finalizers.isEmpty {
                // The last finalizer is gone: the pending delete completes now.
                if options.dryRun { return verified ? .done(Self.materialize(current)) : .readAgain }
                do {
                    return .done(Self.materialize(try await backend.delete(key, expectedRevision: current.modRevision)))
                } catch {
                    throw Self.translate(error, resource, name: name)
                }
            }
        }
        if Self.same(next, asStored: current) { return verified ? .done(Self.materialize(current)) : .readAgain }
        if options.dryRun {
            guard verified else { return .readAgain }
            var preview = next
            preview.setMetadata("resourceVersion", .string(String(current.modRevision)))
            return .done(preview)
        }
        do {
            return .done(Self.materialize(try await backend.update(key, value: next, expectedRevision: current.modRevision)))
        } catch {
            throw Self.translate(error, resource, name: name)
        }
    }

    // MARK: Delete

    public func delete(_ resource: GroupResource, namespace: String?, name: String, options: DeleteOptions) async throws(APIError)
        -> DeleteResult
    {
        let key = try Self.storageKey(resource, namespace: namespace, name: name)
        let current = try await existing(key, resource, name: name)!
        if let uid = options.uid, uid != current.value.uid {
            throw .conflict(resource, name: name,
                "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current.value.uid ?? "")")
        }
        if let rv = options.resourceVersion, rv != String(current.modRevision) {
            throw .conflict(resource, name: name,
                "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(current.modRevision)")
        }
        if !current.value.finalizers.isEmpty {
            if current.value.deletionTimestamp != nil { return .pending(Self.materialize(current)) }
            var marked = current.value
            marked.setMetadata("deletionTimestamp", now())
            marked.setMetadata("deletionGracePeriodSeconds", .integer(0))
            if options.dryRun { return .pending(marked) }
            do {
                return .pending(Self.materialize(try await backend.update(key, value: marked, expectedRevision: current.modRevision)))
            } catch {
                throw Self.translate(error, resource, name: name)
            }
        }
        if options.dryRun { return .deleted(Self.materialize(current)) }
        do {
            return .deleted(Self.materialize(try await backend.delete(key, expectedRevision: current.modRevision)))
        } catch {
            throw Self.translate(error, resource, name: name)
        }
    }

    // MARK: List

    public func list(_ resource: GroupResource, options: ListOptions) async throws(APIError) -> ObjectList {
        let bucket = Self.bucket(resource)
        let prefix = options.filter.namespace.map { $0.isEmpty ? "" : "\($0)/" } ?? ""
        var startAfter: String?
        var listRevision: Int64?
        if let token = options.continueToken, !token.isEmpty {
            let decoded = try ContinueToken(decoding: token)
            if decoded.revision < (await backend.compactedRevision()) {
                throw .expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
            }
            startAfter = decoded.startAfter
            listRevision = decoded.revision
        }
        if let limit = options.limit, limit < 0 { throw .badRequest("limit must not be negative") }
        let limit = options.limit.flatMap { $0 > 0 ? $0 : nil }
        var items: [JSONValue] = []
        var lastExamined = startAfter
        var more = false
        var remaining = 0
        var revision: Int64 = 0
        let hasFilter = !options.filter.labelSelector.isEmpty || !options.filter.fieldSelector.isEmpty
        repeat {
            // Without a filter one range is exact; with one, read in chunks until the page is full.
            let chunk = limit.map { hasFilter ? max($0 * 2, 256) : $0 - items.count }
            let page: RangeResult
            do {
                page = try await backend.range(bucket: bucket, prefix: prefix, after: lastExamined, limit: chunk)
            } catch {
                throw Self.translate(error, resource, name: "")
            }
            revision = page.revision
            more = page.more
            remaining = page.remaining
            for (offset, kv) in page.items.enumerated() {
                if let limit, items.count >= limit {
                    more = true
                    remaining += page.items.count - offset
                    break
                }
                lastExamined = kv.key.key
                if options.filter.matches(kv.value) { items.append(Self.materialize(kv)) }
            }
            if let limit, items.count >= limit { break }
        } while more
        let token = more && lastExamined != nil
            ? ContinueToken(revision: listRevision ?? revision, startAfter: lastExamined!).encoded : nil
        return ObjectList(items: items, resourceVersion: String(listRevision ?? revision), continueToken: token,
            remainingItemCount: more && !hasFilter ? Int64(remaining) : nil)
    }

    // MARK: Watch

    public func watch(_ resource: GroupResource, options: WatchOptions) async throws(APIError) -> WatchStream {
        let bucket = Self.bucket(resource)
        let prefix = options.filter.namespace.map { $0.isEmpty ? "" : "\($0)/" } ?? ""
        var initial: [WatchEvent] = []
        var after = options.resourceVersion ?? 0
        if options.resourceVersion == nil {
            let snapshot: RangeResult
            do {
                snapshot = try await backend.range(bucket: bucket, prefix: prefix, after: nil, limit: nil)
            } catch {
                throw Self.translate(error, resource, name: "")
            }
            initial = snapshot.items.filter { options.filter.matches($0.value) }.map {
                WatchEvent(type: .added, object: Self.materialize($0), revision: $0.modRevision)
            }
            after = snapshot.revision
        }
        do {
            let base = try await backend.watch(bucket: bucket, prefix: prefix, after: after)
            return WatchStream(initial: initial, base: base, filter: options.filter, materialize: Self.materialize)
        } catch .compacted(let oldest) {
            throw .expired("too old resource version: \(after) (\(oldest))")
        } catch {
            throw Self.translate(error, resource, name: "")
        }
    }
}
