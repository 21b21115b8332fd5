import FlotillaAPI
import FlotillaStore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// REST semantics for one resource request: get, list, watch, create, update, patch, delete, deletecollection,
/// and the status and scale subresources.
struct ResourceHandler {
    let descriptor: ResourceDescriptor
    let path: ResourcePath
    let store: any Store
    let registry: ResourceRegistry
    let served: ServedResources
    let clock: any TimeSource
    let metrics: ServerMetrics
    let bookmarkInterval: Duration
    let logger: Logger
    /// The client's connection, so a watch can end when it closes.
    let channel: (any Channel)?
    let watches: WatchRegistry

    var resource: GroupResource { descriptor.groupResource }
    var now: Timestamp { Timestamp(clock.now()) }
    var isDefinition: Bool { resource == CustomResourceDefinition.descriptor.groupResource }
    var lifecycle: CustomResourceLifecycle { CustomResourceLifecycle(store: store, served: served, now: now) }

    func handle(verb: String, request: Request, query: RequestOptions, accept: String?) async throws -> Response {
        if descriptor.namespaced, path.namespace == nil, !["list", "watch", "deletecollection"].contains(verb) {
            throw APIError(.notFound, "the server could not find the requested resource")
        }
        let needsName = ["get", "update", "patch", "delete"].contains(verb)
        if needsName != (path.name != nil), verb != "watch" {
            throw APIError(.methodNotAllowed, "the server does not allow this method on the requested resource")
        }
        if path.subresource == "scale" { return try await handleScale(verb: verb, request: request, query: query) }
        let shape = MediaTypes.shape(accept: accept, includeObject: query["includeObject"])
        switch verb {
        case "get": return try await get(query: query, shape: shape)
        case "list": return try await list(query: query, shape: shape)
        case "watch": return try await watch(query: query, shape: shape)
        case "create":
            guard path.subresource == nil else { throw APIError(.methodNotAllowed, "create is not supported on \(path.plural)/\(path.subresource!)") }
            return try await create(RequestBody.object(try await RequestBody.bytes(of: request), contentType: request.headers[.contentType]), query: query)
        case "update":
            return try await update(RequestBody.object(try await RequestBody.bytes(of: request), contentType: request.headers[.contentType]), query: query)
        case "patch":
            return try await patch(request: request, query: query)
        case "delete":
            guard path.subresource == nil else { throw APIError(.methodNotAllowed, "delete is not supported on a subresource") }
            return try await delete(options: try await deleteOptions(request, query: query))
        case "deletecollection":
            return try await deleteCollection(query: query, options: try await deleteOptions(request, query: query))
        default:
            throw APIError(.methodNotAllowed, "the server does not allow this method on the requested resource")
        }
    }

    // MARK: Reads

    func timed<T>(_ operation: String, _ body: () async throws(APIError) -> T) async throws(APIError) -> T {
        let started = ContinuousClock.now
        defer { metrics.recordStore(operation: operation, duration: ContinuousClock.now - started) }
        return try await body()
    }

    func render(_ object: JSONValue, shape: ResponseShape, status: HTTPResponse.Status = .ok, warnings: [String] = []) -> Response {
        let object = descriptor.presented(object)
        switch shape {
        case .object: return Responses.json(object, status: status, warnings: warnings)
        case .table(let include):
            return Responses.json(TableConverter(descriptor: descriptor).table([object], now: now, includeObject: include,
                resourceVersion: object.resourceVersion, continueToken: nil), status: status, warnings: warnings)
        }
    }

    func get(query: RequestOptions, shape: ResponseShape) async throws -> Response {
        let object = try await timed("get") { () async throws(APIError) in
            try await store.get(resource, namespace: path.namespace, name: path.name!)
        }
        return render(object, shape: shape)
    }

    func list(query: RequestOptions, shape: ResponseShape) async throws -> Response {
        let options = ListOptions(filter: try query.filter(namespace: path.namespace, descriptor: descriptor),
            limit: try query.limit(), continueToken: query["continue"])
        var list = try await timed("list") { () async throws(APIError) in try await store.list(resource, options: options) }
        if descriptor.definition != nil { list.items = list.items.map(descriptor.presented) }
        switch shape {
        case .table(let include):
            return Responses.json(TableConverter(descriptor: descriptor).table(list.items, now: now, includeObject: include,
                resourceVersion: list.resourceVersion, continueToken: list.continueToken))
        case .object:
            var metadata: JSONObject = ["resourceVersion": .string(list.resourceVersion)]
            if let token = list.continueToken { metadata["continue"] = .string(token) }
            if let remaining = list.remainingItemCount { metadata["remainingItemCount"] = .integer(remaining) }
            return Responses.json(["apiVersion": .string(descriptor.apiVersion), "kind": .string(descriptor.listKind),
                                   "metadata": .object(metadata), "items": .array(list.items)])
        }
    }

    // MARK: Writes

    /// Checks apiVersion/kind/name/namespace of a body against the URL and fills in what is missing.
    func normalize(_ body: JSONValue, requireName: Bool) throws(APIError) -> JSONValue {
        var object = body
        if let apiVersion = object.apiVersion, apiVersion != descriptor.apiVersion {
            throw .badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(descriptor.apiVersion))")
        }
        if let kind = object.kind, kind != descriptor.kind {
            throw .badRequest("the kind in the data (\(kind)) does not match the expected kind (\(descriptor.kind))")
        }
        object["apiVersion"] = .string(descriptor.apiVersion)
        object["kind"] = .string(descriptor.kind)
        if object["metadata"] != nil, object["metadata"]?.objectValue == nil {
            throw .badRequest("metadata must be an object")
        }
        if descriptor.namespaced {
            if let namespace = object.namespace, !namespace.isEmpty, namespace != path.namespace {
                throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            object.setMetadata("namespace", path.namespace.map { .string($0) })
        } else {
            object.setMetadata("namespace", nil)
        }
        if requireName, let name = path.name, object.name != name {
            throw .badRequest("the name of the object (\(object.name ?? "")) does not match the name on the URL (\(name))")
        }
        return object
    }

    /// Field validation of unknown members, then the kind's defaults and validation.
    func admit(_ object: JSONValue, query: RequestOptions) throws(APIError) -> (JSONValue, [String]) {
        var warnings: [String] = []
        if query.fieldValidation != "Ignore" {
            let unknown = descriptor.unknownFields(object)
            if !unknown.isEmpty {
                let text = unknown.map { "unknown field \"\($0)\"" }
                if query.fieldValidation == "Strict" { throw .badRequest("strict decoding error: " + text.joined(separator: ", ")) }
                warnings = text
            }
        }
        switch descriptor.admit(object) {
        case .success(let admitted): return (descriptor.stored(admitted), warnings + descriptor.warnings(admitted))
        case .failure(let failure): throw failure.apiError(descriptor, name: object.name ?? "")
        }
    }

    func requireNamespace() async throws(APIError) {
        guard descriptor.namespaced, let namespace = path.namespace else { return }
        do {
            _ = try await store.get(Namespace.descriptor.groupResource, namespace: nil, name: namespace)
        } catch {
            guard error.reason == .notFound else { throw error }
            throw APIError(.notFound, "namespaces \"\(namespace)\" not found",
                details: StatusDetails(name: namespace, kind: "namespaces"))
        }
    }

    func create(_ body: JSONValue, query: RequestOptions) async throws -> Response {
        let object = descriptor.objectForCreate(try normalize(body, requireName: false))
        let (admitted, warnings) = try admit(object, query: query)
        try await requireNamespace()
        var created = try await timed("create") { () async throws(APIError) in
            try await store.create(resource, admitted, options: WriteOptions(dryRun: query.dryRun))
        }
        if isDefinition, !query.dryRun { created = try await lifecycle.established(created) }
        return Responses.json(descriptor.presented(created), status: .created, warnings: warnings)
    }

    func update(_ body: JSONValue, query: RequestOptions) async throws -> Response {
        let object = try normalize(body, requireName: true)
        if object.resourceVersion == nil, !descriptor.builtin {
            throw APIError.invalid(kind: descriptor.kind, group: descriptor.group, name: object.name ?? "",
                errors: [.invalid(FieldPath("metadata.resourceVersion"), "0x0", "must be specified for an update")])
        }
        let current = try await store.get(resource, namespace: path.namespace, name: path.name!)
        let merged = descriptor.objectForUpdate(object, current: current, subresource: path.subresource)
        let (admitted, warnings) = try admit(merged, query: query)
        try checkUpdate(admitted, current: current)
        var updated = try await timed("update") { () async throws(APIError) in
            try await store.update(resource, admitted, options: WriteOptions(dryRun: query.dryRun))
        }
        if isDefinition, !query.dryRun { updated = try await lifecycle.established(updated) }
        return Responses.json(descriptor.presented(updated), warnings: warnings)
    }

    /// The kind's rules for changing a stored object (immutable fields), answered 422 like validation.
    func checkUpdate(_ admitted: JSONValue, current: JSONValue) throws(APIError) {
        let errors = descriptor.updateProblems(admitted, current)
        if !errors.isEmpty { throw APIError.invalid(kind: descriptor.kind, group: descriptor.group, name: admitted.name ?? "", errors: errors) }
    }

    // MARK: Delete

    func deleteOptions(_ request: Request, query: RequestOptions) async throws -> DeleteOptions {
        var options = DeleteOptions(dryRun: query.dryRun)
        let bytes = try await RequestBody.bytes(of: request)
        guard !bytes.isEmpty else { return options }
        let body = try RequestBody.parseJSON(bytes)
        guard body.objectValue != nil else { throw APIError.badRequest("DeleteOptions must be a JSON object") }
        if let policy = body["propagationPolicy"]?.stringValue, !["Orphan", "Background", "Foreground"].contains(policy) {
            throw APIError.invalid(kind: "DeleteOptions", group: "", name: "",
                errors: [.notSupported(FieldPath("propagationPolicy"), policy, supported: ["Orphan", "Background", "Foreground"])])
        }
        if body["dryRun"]?.arrayValue?.contains("All") == true { options.dryRun = true }
        options.uid = body["preconditions"]?["uid"]?.stringValue
        options.resourceVersion = body["preconditions"]?["resourceVersion"]?.stringValue
        return options
    }

    func delete(options: DeleteOptions) async throws -> Response {
        let name = path.name!
        if resource == Namespace.descriptor.groupResource, !options.dryRun {
            try await deleteNamespaceContents(name)
        }
        if isDefinition, !options.dryRun { try await lifecycle.deleteObjects(ofDefinition: name) }
        let result = try await timed("delete") { () async throws(APIError) in
            try await store.delete(resource, namespace: path.namespace, name: name, options: options)
        }
        if isDefinition, !options.dryRun { try await served.refresh(from: store) }
        return Responses.json(descriptor.presented(result.object))
    }

    /// Deleting a namespace deletes everything in it (the namespace controller's job in Kubernetes).
    func deleteNamespaceContents(_ namespace: String) async throws {
        for namespaced in registry.descriptors where namespaced.namespaced && namespaced.version == (namespaced.definition?.storageVersion ?? namespaced.version) {
            let items = try await store.list(namespaced.groupResource, options: ListOptions(filter: ObjectFilter(namespace: namespace))).items
            for item in items {
                _ = try? await store.delete(namespaced.groupResource, namespace: namespace, name: item.name ?? "", options: .none)
            }
        }
    }

    func deleteCollection(query: RequestOptions, options: DeleteOptions) async throws -> Response {
        let filter = try query.filter(namespace: path.namespace, descriptor: descriptor)
        let list = try await store.list(resource, options: ListOptions(filter: filter))
        var deleted: [JSONValue] = []
        for item in list.items {
            do {
                let result = try await store.delete(resource, namespace: item.namespace, name: item.name ?? "",
                    options: DeleteOptions(dryRun: options.dryRun))
                deleted.append(descriptor.presented(result.object))
            } catch {
                // Deleted concurrently: nothing left to do for it.
                if error.reason != .notFound { throw error }
            }
        }
        return Responses.json(["apiVersion": .string(descriptor.apiVersion), "kind": .string(descriptor.listKind),
                               "metadata": ["resourceVersion": .string(String(await store.currentRevision()))],
                               "items": .array(deleted)])
    }
}
