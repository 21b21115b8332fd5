import FlotillaAPI

/// The storage every Flotilla component reads and writes API objects through, with Kubernetes semantics:
/// one global revision (an object's `resourceVersion`), compare-and-swap updates, finalizers, generation rules,
/// paginated lists and watches from a revision. Objects travel as `JSONValue` so every kind, typed or not,
/// shares one path. `ResourceStore` implements it over any `StorageBackend`.
public protocol Store: Sendable {
    /// The revision of the last committed write.
    func currentRevision() async -> Int64

    /// Creates the object; fails with AlreadyExists. A `generateName` without a name gets a random suffix.
    func create(_ resource: GroupResource, _ object: JSONValue, options: WriteOptions) async throws(APIError) -> JSONValue

    /// Fails with NotFound.
    func get(_ resource: GroupResource, namespace: String?, name: String) async throws(APIError) -> JSONValue

    func list(_ resource: GroupResource, options: ListOptions) async throws(APIError) -> ObjectList

    /// Replaces the object. When the object carries `metadata.resourceVersion`, the write only succeeds if it is
    /// still the stored one (409 Conflict otherwise).
    func update(_ resource: GroupResource, _ object: JSONValue, options: WriteOptions) async throws(APIError) -> JSONValue

    /// Deletes, or with finalizers pending marks the object with `deletionTimestamp` and keeps it.
    func delete(_ resource: GroupResource, namespace: String?, name: String, options: DeleteOptions) async throws(APIError)
        -> DeleteResult

    /// ADDED / MODIFIED / DELETED events in revision order. From `nil`, the current objects arrive first as ADDED.
    /// A revision older than the retained history fails with 410 Expired.
    func watch(_ resource: GroupResource, options: WatchOptions) async throws(APIError) -> WatchStream
}

public struct WriteOptions: Sendable {
    /// Validate and compute the result without storing it (`dryRun=All`).
    public var dryRun: Bool

    public init(dryRun: Bool = false) { self.dryRun = dryRun }
    public static let none = WriteOptions()
}

public struct DeleteOptions: Sendable {
    public var dryRun: Bool
    /// Preconditions: the delete fails with 409 Conflict unless they hold.
    public var uid: String?
    public var resourceVersion: String?

    public init(dryRun: Bool = false, uid: String? = nil, resourceVersion: String? = nil) {
        self.dryRun = dryRun
        self.uid = uid
        self.resourceVersion = resourceVersion
    }
    public static let none = DeleteOptions()
}

public enum DeleteResult: Sendable, Equatable {
    /// The object is gone; this is its last state.
    case deleted(JSONValue)
    /// Finalizers are pending; the object stays, marked for deletion.
    case pending(JSONValue)

    public var object: JSONValue {
        switch self {
        case .deleted(let o), .pending(let o): return o
        }
    }
}

/// Filters shared by list and watch.
public struct ObjectFilter: Sendable {
    /// `nil` means every namespace (and is required for cluster-scoped kinds).
    public var namespace: String?
    public var labelSelector: Selector
    public var fieldSelector: FieldSelector
    /// The selectable fields of an object of this kind (see `ResourceDescriptor.selectableFieldValues`).
    public var fields: @Sendable (JSONValue) -> [String: String]

    public init(namespace: String? = nil, labelSelector: Selector = .everything, fieldSelector: FieldSelector = FieldSelector(),
                fields: @escaping @Sendable (JSONValue) -> [String: String] = ObjectFilter.metadataFields) {
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.fields = fields
    }

    public static let all = ObjectFilter()

    public static let metadataFields: @Sendable (JSONValue) -> [String: String] = { object in
        ["metadata.name": object.name ?? "", "metadata.namespace": object.namespace ?? ""]
    }

    public func matches(_ object: JSONValue) -> Bool {
        (labelSelector.isEmpty || labelSelector.matches(object.labels))
            && (fieldSelector.isEmpty || fieldSelector.matches(fields(object)))
    }
}

public struct ListOptions: Sendable {
    public var filter: ObjectFilter
    /// At most this many items; the rest is reached through `continue`.
    public var limit: Int?
    /// The opaque token from the previous page.
    public var continueToken: String?

    public init(filter: ObjectFilter = .all, limit: Int? = nil, continueToken: String? = nil) {
        self.filter = filter
        self.limit = limit
        self.continueToken = continueToken
    }
}

public struct ObjectList: Sendable {
    public var items: [JSONValue]
    /// The revision the list was read at.
    public var resourceVersion: String
    public var continueToken: String?
    public var remainingItemCount: Int64?
}

public struct WatchOptions: Sendable {
    public var filter: ObjectFilter
    /// Start after this revision; `nil` starts with the current objects as ADDED events.
    public var resourceVersion: Int64?

    public init(filter: ObjectFilter = .all, resourceVersion: Int64? = nil) {
        self.filter = filter
        self.resourceVersion = resourceVersion
    }
}

public struct WatchEvent: Sendable, Equatable {
    public enum EventType: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }

    public var type: EventType
    public var object: JSONValue
    public var revision: Int64

    public init(type: EventType, object: JSONValue, revision: Int64) {
        self.type = type
        self.object = object
        self.revision = revision
    }
}
