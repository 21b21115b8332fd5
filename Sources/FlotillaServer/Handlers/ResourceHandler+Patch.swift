import FlotillaAPI
import FlotillaStore
import Hummingbird

extension ResourceHandler {
    enum PatchType {
        case merge
        case json
        case strategic
        case apply
    }

    func patchType(_ contentType: String?) throws(APIError) -> PatchType {
        let accepted = descriptor.builtin
            ? [MediaTypes.jsonPatch, MediaTypes.mergePatch, MediaTypes.strategicMergePatch, MediaTypes.applyPatch]
            : [MediaTypes.jsonPatch, MediaTypes.mergePatch, MediaTypes.applyPatch]
        switch MediaTypes.baseType(contentType) {
        case MediaTypes.mergePatch: return .merge
        case MediaTypes.jsonPatch: return .json
        case MediaTypes.applyPatch: return .apply
        case MediaTypes.strategicMergePatch where descriptor.builtin: return .strategic
        case let other: throw RequestBody.unsupported(other ?? "none", accepted: accepted)
        }
    }

    func apply(_ patch: JSONValue, type: PatchType, to current: JSONValue) throws(APIError) -> JSONValue {
        do {
            switch type {
            case .merge, .apply:
                guard patch.objectValue != nil else { throw APIError.badRequest("a merge patch must be a JSON object, found \(patch.typeName)") }
                return MergePatch.apply(patch, to: current)
            case .json:
                return try JSONPatch.apply(patch, to: current)
            case .strategic:
                let schema = PatchSchema.forKind(group: descriptor.group, kind: descriptor.kind) ?? .metadataOnly
                return try StrategicMergePatch.apply(patch, to: current, schema: schema)
            }
        } catch let error as PatchError {
            throw error.apiError
        } catch let error as APIError {
            throw error
        } catch {
            throw .internalError()
        }
    }

    func fetchCurrent() async -> Result<JSONValue, APIError> {
        do {
            return .success(try await store.get(resource, namespace: path.namespace, name: path.name!))
        } catch {
            return .failure(error)
        }
    }

    func attemptUpdate(_ object: JSONValue, dryRun: Bool) async -> Result<JSONValue, APIError> {
        do {
            return .success(try await store.update(resource, object, options: WriteOptions(dryRun: dryRun)))
        } catch {
            return .failure(error)
        }
    }

    /// Reads the current object, applies the patch, and writes the result with compare-and-swap. Without a
    /// resourceVersion in the patch a conflicting concurrent write is retried, as the API server's guaranteed update
    /// does: at once a few times, then after a short random pause (an object its members' status reports keep
    /// rewriting can lose several races in a row), for up to 10 s.
    func patch(request: Request, query: RequestOptions) async throws -> Response {
        let type = try patchType(request.headers[.contentType])
        let bytes = try await RequestBody.bytes(of: request)
        let body: JSONValue
        if type == .apply, (try? JSONValue.parse(bytes)) == nil {
            do { body = try YAMLCodec.decode(String(decoding: bytes, as: UTF8.self)) } catch { throw APIError.badRequest(error.description) }
        } else {
            body = try RequestBody.parseJSON(bytes)
        }
        let explicitVersion = body["metadata"]?["resourceVersion"]?.stringValue
        let deadline = ContinuousClock.now + .seconds(10)
        for attempt in 1... {
            if attempt > 3 { try? await Task.sleep(for: .milliseconds(Int.random(in: 1...(attempt > 10 ? 50 : 10)))) }
            let current: JSONValue
            switch await fetchCurrent() {
            case .success(let object):
                current = object
            case .failure(let error):
                guard error.reason == .notFound, type == .apply, path.subresource == nil else { throw error }
                // Server-side apply creates what is missing.
                var created = body
                if created.name == nil { created.setMetadata("name", .string(path.name!)) }
                return try await create(try normalize(created, requireName: true), query: query)
            }
            var patched = try apply(body, type: type, to: current)
            guard patched.objectValue != nil else { throw APIError.badRequest("the patch did not produce an object") }
            // Identity is the URL's; a patch cannot rename or move an object.
            patched.setMetadata("name", current["metadata"]?["name"])
            patched.setMetadata("namespace", current["metadata"]?["namespace"])
            if explicitVersion == nil, patched.resourceVersion == current.resourceVersion || patched.resourceVersion == nil {
                patched.setMetadata("resourceVersion", current["metadata"]?["resourceVersion"])
            }
            let merged = descriptor.objectForUpdate(patched, current: current, subresource: path.subresource)
            let (admitted, warnings) = try admit(try normalize(descriptor.presented(merged), requireName: true), query: query)
            try checkUpdate(admitted, current: current)
            let outcome = await attemptUpdate(admitted, dryRun: query.dryRun)
            switch outcome {
            case .success(var updated):
                if isDefinition, !query.dryRun { updated = try await lifecycle.established(updated) }
                return Responses.json(descriptor.presented(updated), warnings: warnings)
            case .failure(let error):
                if error.reason == .conflict, explicitVersion == nil, ContinuousClock.now < deadline { continue }
                throw error
            }
        }
        throw APIError.conflict(resource, name: path.name!, "the object kept changing; please try again")
    }
}
