import FlotillaAPI

/// The one way Flotilla's controllers read and write API objects, wherever the API is: a member cluster over
/// HTTPS (`KubeClient`) or the control plane's own store in-process (`StoreObjectClient` in FlotillaControllers).
/// Kubernetes semantics throughout: creates drop `.status` for kinds with a status subresource, `update` ignores
/// `.status` and `updateStatus` changes nothing else, updates carrying a resourceVersion are compare-and-swap.
public protocol ObjectClient: Sendable {
    func get(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError) -> JSONValue
    func list(_ resource: ResourceDescriptor, namespace: String?, options: ListQuery) async throws(APIError) -> ListResult
    func create(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue
    /// A typed object: admitted without a decode where the client is the store itself.
    func create<Object: APIObject>(_ object: Object) async throws(APIError) -> JSONValue
    func update(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue
    func updateStatus(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue
    /// A typed object and its status together: one write where the client is the store itself (admitted without
    /// a decode), two over the API (the object, then its status subresource at the new resourceVersion). Returns
    /// the stored object.
    func updateWithStatus<Object: APIObject>(_ object: Object) async throws(APIError) -> JSONValue
    /// The same write where the caller holds the object's JSON form (`APIObject.admit(typed:json:)`): the JSON it
    /// was decoded from, with only the changed members encoded again. The store admits the typed object and writes
    /// `json` without encoding the whole object.
    func updateWithStatus<Object: APIObject>(_ object: Object, json: JSONValue) async throws(APIError) -> JSONValue
    /// An RFC 7386 merge patch.
    func mergePatch(_ resource: ResourceDescriptor, namespace: String?, name: String, _ patch: JSONValue) async throws(APIError) -> JSONValue
    func delete(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError)
    /// Changes after `resourceVersion`. The stream ends when the server ends the watch; it fails with
    /// `APIError` reason `Expired` when the version is too old (relist then).
    func watch(_ resource: ResourceDescriptor, namespace: String?, options: ListQuery, resourceVersion: String) async throws(APIError)
        -> AsyncThrowingStream<ObjectEvent, any Error>
}

extension ObjectClient {
    public func create<Object: APIObject>(_ object: Object) async throws(APIError) -> JSONValue {
        try await create(Object.descriptor, object.json())
    }

    public func updateWithStatus<Object: APIObject>(_ typed: Object) async throws(APIError) -> JSONValue {
        try await updateWithStatus(typed, json: typed.json())
    }

    /// `kubectl apply` without the bookkeeping: creates the object, or brings a stored one in step — every top-level
    /// field of `object` but metadata and status, and its labels merged over the stored ones. Writes nothing when
    /// nothing differs. Returns the stored object.
    @discardableResult
    public func createOrUpdate(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        let current: JSONValue
        do {
            return try await create(resource, object)
        } catch {
            guard error.reason == .alreadyExists else { throw error }
            current = try await get(resource, namespace: object.namespace, name: object.name ?? "")
        }
        var updated = current
        for (key, value) in object.objectValue ?? [:] where key != "metadata" && key != "status" { updated[key] = value }
        let labels = current.labels.merging(object.labels) { _, new in new }
        if !labels.isEmpty { updated.setMetadata("labels", .object(JSONObject(labels.mapValues(JSONValue.string)))) }
        guard updated != current else { return current }
        return try await update(resource, updated)
    }

    /// Over the API the server admits what it receives, so the JSON form is sent as it is.
    public func updateWithStatus<Object: APIObject>(_ typed: Object, json object: JSONValue) async throws(APIError) -> JSONValue {
        let resource = Object.descriptor
        let updated = try await update(resource, object)
        guard resource.subresources.contains("status"), object["status"] != updated["status"] else { return updated }
        var status = updated
        status["status"] = object["status"]
        return try await updateStatus(resource, status)
    }
}

public struct ListQuery: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
    }

    public static let everything = ListQuery()
}

public struct ListResult: Sendable {
    public var items: [JSONValue]
    public var resourceVersion: String

    public init(items: [JSONValue], resourceVersion: String) {
        self.items = items
        self.resourceVersion = resourceVersion
    }
}

public struct ObjectEvent: Sendable, Equatable {
    public enum Kind: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED", bookmark = "BOOKMARK" }
    public var kind: Kind
    public var object: JSONValue

    public init(kind: Kind, object: JSONValue) {
        self.kind = kind
        self.object = object
    }
}

extension StatusReason {
    /// Client-side: the server could not be reached (connection refused, TLS failure, timeout).
    public static let unreachable = StatusReason("Unreachable", code: 503)
}
