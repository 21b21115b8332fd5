import FlotillaAPI
import FlotillaAPIExtension
import Hummingbird

/// Get and list of a computed kind (metrics): the objects come from `ComputedResources`, filtered by name, label
/// and field selectors, and rendered as objects or tables like stored ones. Nothing else is allowed (405).
struct ComputedHandler {
    let descriptor: ResourceDescriptor
    let path: ResourcePath
    let source: (any ComputedResources)?
    let clock: any TimeSource

    func handle(verb: String, query: RequestOptions, accept: String?) async throws -> Response {
        guard verb == "get" || verb == "list", path.subresource == nil else {
            throw APIError(.methodNotAllowed, "\(descriptor.plural).\(descriptor.group) only supports get and list")
        }
        guard let source else {
            throw APIError(.serviceUnavailable, "this server computes no \(descriptor.plural).\(descriptor.group)")
        }
        let filter = try query.filter(namespace: path.namespace, descriptor: descriptor)
        var items = try await source.objects(descriptor.groupResource, namespace: descriptor.namespaced ? path.namespace : nil)
            .filter { filter.matches($0) }
        if let name = path.name {
            items = items.filter { $0.name == name }
            guard let object = items.first else {
                throw APIError(.notFound, "\(descriptor.plural).\(descriptor.group) \"\(name)\" not found",
                               details: StatusDetails(name: name, group: descriptor.group, kind: descriptor.plural))
            }
            items = [object]
        }
        items.sort { ($0.namespace ?? "", $0.name ?? "") < ($1.namespace ?? "", $1.name ?? "") }
        let now = Timestamp(clock.now())
        switch MediaTypes.shape(accept: accept, includeObject: query["includeObject"]) {
        case .table(let include):
            let table = TableConverter(descriptor: descriptor)
            return Responses.json(table.table(items, now: now, includeObject: include, resourceVersion: nil, continueToken: nil))
        case .object:
            if path.name != nil { return Responses.json(items[0]) }
            return Responses.json(["apiVersion": .string(descriptor.apiVersion), "kind": .string(descriptor.listKind),
                                   "metadata": .object([:]), "items": .array(items)])
        }
    }
}
