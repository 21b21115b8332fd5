import FlotillaAPI

/// The access network's APIs the gateway exposes, as CAPIF ServiceAPIDescriptions (3GPP TS 29.222): each is proxied
/// from `/apig<prefix>` to the same path on the access network.
struct ExposedAPI: Sendable {
    var apiName: String
    var apiId: String
    var version: String
    /// The path both sides share (`/location/v2`).
    var prefix: String
    var description: String
    /// Resource name, relative URI, operations, and whether it is a subscription (SUBSCRIBE_NOTIFY).
    var resources: [(name: String, uri: String, operations: [String], subscribe: Bool)]

    static let all: [ExposedAPI] = [
        ExposedAPI(apiName: "mec013-location", apiId: "flotilla-location-v2", version: "v2", prefix: "/location/v2",
            description: "ETSI MEC 013 Location: users, zones, access points, zonal and user-tracking subscriptions",
            resources: [("users", "/queries/users", ["GET"], false), ("zones", "/queries/zones", ["GET"], false),
                        ("zonalTraffic", "/subscriptions/zonalTraffic", ["GET", "POST", "DELETE"], true),
                        ("userTracking", "/subscriptions/userTracking", ["GET", "POST", "DELETE"], true)]),
        ExposedAPI(apiName: "mec012-rni", apiId: "flotilla-rni-v2", version: "v2", prefix: "/rni/v2",
            description: "ETSI MEC 012 Radio Network Information: cell-change subscriptions",
            resources: [("subscriptions", "/subscriptions", ["GET", "POST", "DELETE"], true)]),
        ExposedAPI(apiName: "3gpp-as-session-with-qos", apiId: "flotilla-as-session-with-qos-v1", version: "v1",
            prefix: "/3gpp-as-session-with-qos/v1",
            description: "3GPP TS 29.122 AsSessionWithQoS: QoS on demand for a UE's flows (qosReference low-latency)",
            resources: [("subscriptions", "/{scsAsId}/subscriptions", ["GET", "POST", "DELETE"], true)]),
    ]

    static func proxied(_ path: String) -> ExposedAPI? {
        all.first { path == $0.prefix || path.hasPrefix($0.prefix + "/") }
    }

    /// ServiceAPIDescription, reached at `host` (`ADDRESS:PORT` as the client reached the control plane).
    func description(host: String?) -> JSONValue {
        var profile: JSONObject = [
            "aefId": "flotilla-apig",
            "versions": [["apiVersion": .string(version), "resources": .array(resources.map { resource in
                ["resourceName": .string(resource.name), "commType": .string(resource.subscribe ? "SUBSCRIBE_NOTIFY" : "REQUEST_RESPONSE"),
                 "uri": .string("/apig" + prefix + resource.uri), "operations": .array(resource.operations.map(JSONValue.string))]
            })]],
            "protocol": "HTTP_1_1", "dataFormat": "JSON", "securityMethods": ["OAUTH"],
        ]
        if let host {
            let (address, port) = Self.split(host)
            var interface: JSONObject = ["securityMethods": ["OAUTH"]]
            if let port { interface["port"] = .integer(Int64(port)) }
            if address.contains(":") { interface["ipv6Addr"] = .string(address) } else if address.split(separator: ".").count == 4, address.split(separator: ".").allSatisfy({ UInt8($0) != nil }) {
                interface["ipv4Addr"] = .string(address)
            } else {
                interface["fqdn"] = .string(address)
            }
            profile["interfaceDescriptions"] = [.object(interface)]
        }
        return ["apiName": .string(apiName), "apiId": .string(apiId), "description": .string(description),
                "aefProfiles": [.object(profile)]]
    }

    /// `host:port`, `[v6]:port` or `host`.
    static func split(_ host: String) -> (String, Int?) {
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            let address = String(host[host.index(after: host.startIndex)..<end])
            let rest = host[host.index(after: end)...]
            return (address, rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil)
        }
        let parts = host.split(separator: ":")
        return parts.count == 2 ? (String(parts[0]), Int(parts[1])) : (host, nil)
    }
}
