import FlotillaAPI
import FlotillaStore
import KubeClient

/// The control plane's own store behind the `ObjectClient` protocol, with the API server's write rules (admission
/// through the registry, the status-subresource rules), so a controller runs the same in-process or remotely.
public struct StoreObjectClient: ObjectClient {
    public let store: any Store
    public let registry: ResourceRegistry

    public init(store: any Store, registry: ResourceRegistry = .controlPlane) {
        self.store = store
        self.registry = registry
    }

    public func get(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError) -> JSONValue {
        try await store.get(resource.groupResource, namespace: resource.namespaced ? namespace : nil, name: name)
    }

    public func list(_ resource: ResourceDescriptor, namespace: String?, options: ListQuery) async throws(APIError) -> ListResult {
        let list = try await store.list(resource.groupResource, options: ListOptions(filter: try filter(resource, namespace, options)))
        return ListResult(items: list.items, resourceVersion: list.resourceVersion)
    }

    public func create(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        try await store.create(resource.groupResource, try admit(resource, resource.objectForCreate(object)), options: .none)
    }

    public func create<Object: APIObject>(_ object: Object) async throws(APIError) -> JSONValue {
        let resource = Object.descriptor
        let admitted = try admitted(Object.admit(typed: object), resource, name: object.metadata.name ?? object.metadata.generateName)
        return try await store.create(resource.groupResource, resource.objectForCreate(admitted), options: .none)
    }
    public func update(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        try await write(resource, object, subresource: nil)
    }

    public func updateStatus(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        try await write(resource, object, subresource: "status")
    }
    /// One write: nothing of the stored object is kept, so it needs no read first (the resourceVersion still guards
    /// it), and the typed object is admitted as it is.
    public func updateWithStatus<Object: APIObject>(_ object: Object) async throws(APIError) -> JSONValue {
        try await store.update(Object.descriptor.groupResource, try admitted(Object.admit(typed: object), Object.descriptor, name: object.metadata.name),
                               options: .none)
    }

    public func updateWithStatus<Object: APIObject>(_ object: Object, json: JSONValue) async throws(APIError) -> JSONValue {
        try await store.update(Object.descriptor.groupResource,
                               try admitted(Object.admit(typed: object, json: json), Object.descriptor, name: object.metadata.name), options: .none)
    }

    public func mergePatch(_ resource: ResourceDescriptor, namespace: String?, name: String, _ patch: JSONValue) async throws(APIError)
        -> JSONValue
    {
        guard patch.objectValue != nil else { throw APIError.badRequest("a merge patch must be a JSON object") }
        // Retried on conflict like the API server does for a patch without a resourceVersion.
        for _ in 0..<5 {
            let current = try await get(resource, namespace: namespace, name: name)
            var patched = MergePatch.apply(patch, to: current)
            patched.setMetadata("resourceVersion", current["metadata"]?["resourceVersion"])
            do {
                return try await write(resource, patched, subresource: nil)
            } catch {
                if error.reason != .conflict { throw error }
            }
        }
        throw APIError(.conflict, "\(resource.plural) \"\(name)\" kept changing during the patch")
    }

    public func delete(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError) {
        _ = try await store.delete(resource.groupResource, namespace: resource.namespaced ? namespace : nil, name: name, options: .none)
    }

    public func watch(_ resource: ResourceDescriptor, namespace: String?, options: ListQuery, resourceVersion: String) async throws(APIError)
        -> AsyncThrowingStream<ObjectEvent, any Error>
    {
        let stream = try await store.watch(resource.groupResource,
            options: WatchOptions(filter: try filter(resource, namespace, options), resourceVersion: Int64(resourceVersion) ?? 0))
        let (events, continuation) = AsyncThrowingStream<ObjectEvent, any Error>.makeStream()
        let task = Task {
            for await event in stream {
                let kind: ObjectEvent.Kind = switch event.type {
                case .added: .added
                case .modified: .modified
                case .deleted: .deleted
                }
                continuation.yield(ObjectEvent(kind: kind, object: event.object))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return events
    }

    func write(_ resource: ResourceDescriptor, _ object: JSONValue, subresource: String?) async throws(APIError) -> JSONValue {
        let current = try await get(resource, namespace: object.namespace, name: object.name ?? "")
        let merged = resource.objectForUpdate(object, current: current, subresource: subresource)
        return try await store.update(resource.groupResource, try admit(resource, merged), options: .none)
    }

    func admit(_ resource: ResourceDescriptor, _ object: JSONValue) throws(APIError) -> JSONValue {
        var object = object
        object["apiVersion"] = .string(resource.apiVersion)
        object["kind"] = .string(resource.kind)
        return try admitted(resource.admit(object), resource, name: object.name)
    }
    func admitted(_ admission: Result<JSONValue, AdmissionFailure>, _ resource: ResourceDescriptor, name: String?) throws(APIError) -> JSONValue {
        switch admission {
        case .success(let admitted): return admitted
        case .failure(.malformed(let error)): throw APIError.badRequest("\(resource.kind) cannot be handled: \(error)")
        case .failure(.invalid(let errors)): throw APIError.invalid(kind: resource.kind, group: resource.group, name: name ?? "", errors: errors)
        }
    }

    func filter(_ resource: ResourceDescriptor, _ namespace: String?, _ options: ListQuery) throws(APIError) -> ObjectFilter {
        var filter = ObjectFilter(namespace: resource.namespaced ? namespace : nil, fields: resource.selectableFieldValues)
        if let label = options.labelSelector, !label.isEmpty {
            do { filter.labelSelector = try Selector(parsing: label) } catch { throw APIError.badRequest("invalid label selector: \(error)") }
        }
        if let field = options.fieldSelector, !field.isEmpty {
            do { filter.fieldSelector = try FieldSelector(parsing: field) } catch { throw APIError.badRequest("invalid field selector: \(error)") }
        }
        return filter
    }
}
