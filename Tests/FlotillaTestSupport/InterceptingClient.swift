import FlotillaAPI
import KubeClient

/// An `ObjectClient` that hands every call to `inner` after `intercept` has seen it, for tests that count calls, hold
/// them back or fail them (a partition). Only the API's calls are forwarded: the typed `create` and `updateWithStatus`
/// use the protocol's defaults (the object, then its status subresource), as over HTTP.
public struct InterceptingClient: ObjectClient {
    public enum Call: Sendable, Equatable {
        case get, list, create, update, updateStatus, mergePatch, delete, watch
    }

    public let inner: any ObjectClient
    public let intercept: @Sendable (Call, ResourceDescriptor) async throws(APIError) -> Void

    public init(inner: any ObjectClient, intercept: @escaping @Sendable (Call, ResourceDescriptor) async throws(APIError) -> Void = { _, _ in }) {
        self.inner = inner
        self.intercept = intercept
    }

    public func get(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError) -> JSONValue {
        try await intercept(.get, resource)
        return try await inner.get(resource, namespace: namespace, name: name)
    }
    public func list(_ resource: ResourceDescriptor, namespace: String?, options: ListQuery) async throws(APIError) -> ListResult {
        try await intercept(.list, resource)
        return try await inner.list(resource, namespace: namespace, options: options)
    }
    public func create(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        try await intercept(.create, resource)
        return try await inner.create(resource, object)
    }
    public func update(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        try await intercept(.update, resource)
        return try await inner.update(resource, object)
    }
    public func updateStatus(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        try await intercept(.updateStatus, resource)
        return try await inner.updateStatus(resource, object)
    }
    public func mergePatch(_ resource: ResourceDescriptor, namespace: String?, name: String, _ patch: JSONValue) async throws(APIError) -> JSONValue {
        try await intercept(.mergePatch, resource)
        return try await inner.mergePatch(resource, namespace: namespace, name: name, patch)
    }
    public func delete(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError) {
        try await intercept(.delete, resource)
        try await inner.delete(resource, namespace: namespace, name: name)
    }
    public func watch(_ resource: ResourceDescriptor, namespace: String?, options: ListQuery, resourceVersion: String) async throws(APIError)
        -> AsyncThrowingStream<ObjectEvent, any Error>
    {
        try await intercept(.watch, resource)
        return try await inner.watch(resource, namespace: namespace, options: options, resourceVersion: resourceVersion)
    }
}
