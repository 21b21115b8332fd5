import FlotillaAPI

/// Where a request path points, parsed once. Kubernetes paths are irregular (`/api/v1/namespaces/x` is a
/// namespace, `/api/v1/namespaces/x/pods` a collection in it), so this is a small hand parser, not a router.
enum APIRoute: Equatable {
    case version
    case health(String)
    case metrics
    case openAPIV2
    case openAPIV3
    case coreRoot
    case groupsRoot
    case group(String)
    case groupVersion(group: String, version: String)
    case resource(ResourcePath)
    case notFound
}

struct ResourcePath: Equatable {
    var group: String
    var version: String
    var plural: String
    var namespace: String?
    var name: String?
    var subresource: String?
    /// What follows `…/{name}/proxy` (`/` when nothing does), for the `proxy` subresource.
    var proxyPath: String?
}

extension APIRoute {
    /// - Parameter isNamespaced: whether a plural names a namespaced resource in the group version.
    static func parse(path: String, isNamespaced: (String, String, String) -> Bool) -> APIRoute {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map {
            String($0).removingPercentEncoding ?? String($0)
        }
        switch segments.first {
        case nil: return .notFound
        case "version": return segments.count == 1 ? .version : .notFound
        case "healthz", "livez", "readyz": return segments.count == 1 ? .health(segments[0]) : .notFound
        case "metrics": return segments.count == 1 ? .metrics : .notFound
        case "openapi":
            if segments.count == 2, segments[1] == "v2" { return .openAPIV2 }
            if segments.count >= 2, segments[1] == "v3" { return .openAPIV3 }
            return .notFound
        case "api":
            if segments.count == 1 { return .coreRoot }
            if segments.count == 2 { return .groupVersion(group: "", version: segments[1]) }
            return resource(group: "", version: segments[1], rest: Array(segments.dropFirst(2)), isNamespaced: isNamespaced)
        case "apis":
            switch segments.count {
            case 1: return .groupsRoot
            case 2: return .group(segments[1])
            case 3: return .groupVersion(group: segments[1], version: segments[2])
            default:
                return resource(group: segments[1], version: segments[2], rest: Array(segments.dropFirst(3)), isNamespaced: isNamespaced)
            }
        default: return .notFound
        }
    }

    static func resource(group: String, version: String, rest: [String], isNamespaced: (String, String, String) -> Bool) -> APIRoute {
        // namespaces/<ns>/<plural>[/<name>[/<subresource>]] when <plural> is namespaced in this group version.
        if rest.count >= 3, rest[0] == "namespaces", isNamespaced(group, version, rest[2]) {
            // namespaces/<ns>/<plural>/<name>/proxy/<anything>: the proxy subresource takes the rest of the path.
            if rest.count >= 5, rest[4] == "proxy" {
                return .resource(ResourcePath(group: group, version: version, plural: rest[2], namespace: rest[1], name: rest[3],
                    subresource: "proxy", proxyPath: "/" + rest.dropFirst(5).joined(separator: "/")))
            }
            guard rest.count <= 5 else { return .notFound }
            return .resource(ResourcePath(group: group, version: version, plural: rest[2], namespace: rest[1],
                name: rest.count > 3 ? rest[3] : nil, subresource: rest.count > 4 ? rest[4] : nil))
        }
        guard rest.count <= 3 else { return .notFound }
        return .resource(ResourcePath(group: group, version: version, plural: rest[0], namespace: nil,
            name: rest.count > 1 ? rest[1] : nil, subresource: rest.count > 2 ? rest[2] : nil))
    }
}
