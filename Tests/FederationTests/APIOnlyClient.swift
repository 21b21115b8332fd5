import FlotillaAPI
import FlotillaControllers
import KubeClient

/// The store behind only the API's calls, as `KubeClient` has them (so `updateWithStatus` is the object, then its status
/// subresource). `beforeCreate` runs before every create, for a test that holds creates back.
struct APIOnlyClient: ObjectClient {
    let inner: StoreObjectClient
    var beforeCreate: (@Sendable () async -> Void)?

    func get(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError) -> JSONValue {
        try await inner.get(resource, namespace: namespace, name: name)
    }
    func list(_ resource: ResourceDescriptor, namespace: String?, options: ListQuery) async throws(APIError) -> ListResult {
        try await inner.list(resource, namespace: namespace, options: options)
    }
    func create(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        await beforeCreate?()
        return try await inner.create(resource, object)
    }
    func update(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        try await inner.update(resource, object)
    }
    func updateStatus(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        try await inner.updateStatus(resource, object)
    }
    func mergePatch(_ resource: ResourceDescriptor, namespace: String?, name: String, _ patch: JSONValue) async throws(APIError) -> JSONValue {
        try await inner.mergePatch(resource, namespace: namespace, name: name, patch)
    }
    func delete(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError) {
        try await inner.delete(resource, namespace: namespace, name: name)
    }
    func watch(_ resource: ResourceDescriptor, namespace: String?, options: ListQuery, resourceVersion: String) async throws(APIError)
        -> AsyncThrowingStream<ObjectEvent, any Error>
    {
        try await inner.watch(resource, namespace: namespace, options: options, resourceVersion: resourceVersion)
    }
}
