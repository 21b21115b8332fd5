import HummingbirdCore
import FlotillaAPI
import FlotillaStore
import Hummingbird

/// The `scale` subresource (autoscaling/v1 Scale): of Deployments at `spec.replicas`, of a custom kind at its
/// CRD's `specReplicasPath`, `statusReplicasPath` and `labelSelectorPath`.
extension ResourceHandler {
    var specReplicasKeys: [String] { descriptor.scalePaths.flatMap { StatusPath($0.specReplicasPath)?.keys } ?? ["spec", "replicas"] }

    func scale(of object: JSONValue) -> JSONValue {
        let selector: String
        let statusReplicas: JSONValue?
        if let paths = descriptor.scalePaths {
            selector = paths.labelSelectorPath.flatMap { StatusPath($0)?.read(object) } ?? ""
            statusReplicas = StatusPath(paths.statusReplicasPath)?.value(in: object)
        } else {
            let labels = object["spec"]?["selector"]?["matchLabels"]?.objectValue ?? [:]
            selector = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: ",")
            statusReplicas = object["status"]?["replicas"]
        }
        var metadata: JSONObject = [:]
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { metadata[key] = object["metadata"]?[key] }
        return ["apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": .object(metadata),
                "spec": ["replicas": object.value(at: specReplicasKeys) ?? .integer(0)],
                "status": ["replicas": statusReplicas ?? .integer(0), "selector": .string(selector)]]
    }

    func handleScale(verb: String, request: Request, query: RequestOptions) async throws -> Response {
        let current = try await store.get(resource, namespace: path.namespace, name: path.name!)
        switch verb {
        case "get":
            return Responses.json(scale(of: current))
        case "update", "patch":
            let desired: JSONValue
            if verb == "update" {
                desired = try RequestBody.object(try await RequestBody.bytes(of: request), contentType: request.headers[.contentType])
            } else {
                let type = try patchType(request.headers[.contentType])
                let body = try RequestBody.parseJSON(try await RequestBody.bytes(of: request))
                desired = try apply(body, type: type == .strategic ? .merge : type, to: scale(of: current))
            }
            guard let replicas = desired["spec"]?["replicas"]?.int64Value, replicas >= 0, replicas <= Int64(Int32.max) else {
                throw APIError.invalid(kind: "Scale", group: "autoscaling", name: path.name!,
                    errors: [.invalid(FieldPath("spec.replicas"), desired["spec"]?["replicas"]?.description ?? "", "must be a non-negative integer")])
            }
            var updated = current
            updated.setValue(.integer(replicas), at: specReplicasKeys)
            if let version = desired["metadata"]?["resourceVersion"]?.stringValue { updated.setMetadata("resourceVersion", .string(version)) }
            let (admitted, _) = try admit(descriptor.presented(updated), query: RequestOptions(uri: URI("/")))
            let stored = try await store.update(resource, admitted, options: WriteOptions(dryRun: query.dryRun))
            return Responses.json(scale(of: stored))
        default:
            throw APIError(.methodNotAllowed, "\(verb) is not supported on the scale subresource")
        }
    }
}
