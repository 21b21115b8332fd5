import FlotillaAPI
import Hummingbird

/// Legacy and aggregated discovery documents, built from the registry. kubectl 1.27–1.33 asks for aggregated
/// discovery and needs the exact Content-Type; the Python client reads only the legacy documents.
struct Discovery {
    let registry: ResourceRegistry

    static let verbs: [JSONValue] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    static func verbs(_ descriptor: ResourceDescriptor) -> [JSONValue] {
        descriptor.createOnly ? ["create"] : descriptor.computed ? ["get", "list"] : verbs
    }
    static let subresourceVerbs: [JSONValue] = ["get", "patch", "update"]

    var groups: [String] {
        var seen = Set<String>()
        return registry.groupVersions.map(\.group).filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    func versions(of group: String) -> [String] { registry.groupVersions.filter { $0.group == group }.map(\.version) }

    func groupVersionEntry(_ gv: GroupVersion) -> JSONValue {
        ["groupVersion": .string(gv.description), "version": .string(gv.version)]
    }

    func groupDocument(_ group: String) -> JSONValue {
        let entries = versions(of: group).map { groupVersionEntry(GroupVersion(group: group, version: $0)) }
        return ["kind": "APIGroup", "apiVersion": "v1", "name": .string(group), "versions": .array(entries),
                "preferredVersion": entries.first ?? .object([:])]
    }

    /// `/api`: the legacy core versions document.
    func coreVersions(serverAddress: String) -> JSONValue {
        ["kind": "APIVersions", "versions": ["v1"],
         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]]]
    }

    /// `/apis`: every non-core group.
    func groupList() -> JSONValue {
        ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.map(groupDocument))]
    }

    /// `/api/v1`, `/apis/<g>/<v>`: the resources of one group version, subresources as `<plural>/<sub>`.
    func resourceList(group: String, version: String) -> JSONValue? {
        let descriptors = registry.descriptors.filter { $0.group == group && $0.version == version }
        guard !descriptors.isEmpty else { return nil }
        var resources: [JSONValue] = []
        for d in descriptors.sorted(by: { $0.plural < $1.plural }) {
            var entry: JSONObject = [
                "name": .string(d.plural), "singularName": .string(d.singular), "namespaced": .bool(d.namespaced),
                "kind": .string(d.kind), "verbs": .array(Self.verbs(d)),
            ]
            if !d.shortNames.isEmpty { entry["shortNames"] = .array(d.shortNames.map { .string($0) }) }
            if !d.categories.isEmpty { entry["categories"] = .array(d.categories.map { .string($0) }) }
            resources.append(.object(entry))
            for sub in d.subresources.sorted() {
                var subEntry: JSONObject = [
                    "name": .string("\(d.plural)/\(sub)"), "singularName": "", "namespaced": .bool(d.namespaced),
                    "kind": .string(d.kind), "verbs": .array(Self.subresourceVerbs),
                ]
                if sub == "scale" {
                    subEntry["group"] = "autoscaling"
                    subEntry["version"] = "v1"
                    subEntry["kind"] = "Scale"
                }
                resources.append(.object(subEntry))
            }
        }
        return ["kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": .string(GroupVersion(group: group, version: version).description), "resources": .array(resources)]
    }

    /// The aggregated form for the core group (at `/api`) or all other groups (at `/apis`).
    func aggregated(core: Bool, apiVersion: String) -> JSONValue {
        let groupNames = core ? [""] : groups
        let items: [JSONValue] = groupNames.map { group in
            let versionEntries: [JSONValue] = versions(of: group).map { version in
                let resources: [JSONValue] = registry.descriptors.filter { $0.group == group && $0.version == version }
                    .sorted { $0.plural < $1.plural }.map(aggregatedResource)
                return ["version": .string(version), "freshness": "Current", "resources": .array(resources)]
            }
            return ["metadata": ["name": .string(group)], "versions": .array(versionEntries)]
        }
        return ["kind": "APIGroupDiscoveryList", "apiVersion": .string(apiVersion), "metadata": .object([:]), "items": .array(items)]
    }

    func aggregatedResource(_ d: ResourceDescriptor) -> JSONValue {
        var entry: JSONObject = [
            "resource": .string(d.plural), "singularResource": .string(d.singular),
            "scope": d.namespaced ? "Namespaced" : "Cluster",
            "responseKind": ["group": .string(d.group), "version": .string(d.version), "kind": .string(d.kind)],
            "verbs": .array(Self.verbs(d)),
        ]
        if !d.shortNames.isEmpty { entry["shortNames"] = .array(d.shortNames.map { .string($0) }) }
        if !d.categories.isEmpty { entry["categories"] = .array(d.categories.map { .string($0) }) }
        if !d.subresources.isEmpty {
            entry["subresources"] = .array(d.subresources.sorted().map { sub in
                let kind: JSONValue = sub == "scale"
                    ? ["group": "autoscaling", "version": "v1", "kind": "Scale"]
                    : ["group": .string(d.group), "version": .string(d.version), "kind": .string(d.kind)]
                return ["subresource": .string(sub), "responseKind": kind, "verbs": .array(Self.subresourceVerbs)]
            })
        }
        return .object(entry)
    }

    /// Which aggregated version the Accept header asks for, highest first; nil means legacy.
    static func aggregatedVersion(accept: String?) -> String? {
        let entries = MediaTypes.parseAccept(accept)
        let asked = entries.filter { $0.parameters["as"] == "APIGroupDiscoveryList" && $0.parameters["g"] == "apidiscovery.k8s.io" }
            .compactMap { $0.parameters["v"] }
        if asked.contains("v2") { return "v2" }
        if asked.contains("v2beta1") { return "v2beta1" }
        return nil
    }

    func respondRoot(core: Bool, accept: String?, serverAddress: String) -> Response {
        if let version = Self.aggregatedVersion(accept: accept) {
            let contentType = version == "v2" ? MediaTypes.aggregatedV2 : MediaTypes.aggregatedV2Beta1
            return Responses.json(aggregated(core: core, apiVersion: "apidiscovery.k8s.io/\(version)"), contentType: contentType)
        }
        return Responses.json(core ? coreVersions(serverAddress: serverAddress) : groupList())
    }
}
