/// The media types the API speaks, and how to read Accept and Content-Type headers the way kubectl sends them.
enum MediaTypes {
    static let json = "application/json"
    static let yaml = "application/yaml"
    static let protobuf = "application/vnd.kubernetes.protobuf"
    static let mergePatch = "application/merge-patch+json"
    static let jsonPatch = "application/json-patch+json"
    static let strategicMergePatch = "application/strategic-merge-patch+json"
    static let applyPatch = "application/apply-patch+yaml"
    static let openAPIProtobuf = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    static let aggregatedV2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    static let aggregatedV2Beta1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

    /// One entry of an Accept header: the type and its parameters.
    struct Accepted: Equatable {
        var type: String
        var parameters: [String: String]
    }

    static func parseAccept(_ header: String?) -> [Accepted] {
        guard let header, !header.isEmpty else { return [Accepted(type: "*/*", parameters: [:])] }
        return header.split(separator: ",").map { entry in
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            var parameters: [String: String] = [:]
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { parameters[pair[0]] = pair[1] }
            }
            return Accepted(type: parts.first?.lowercased() ?? "", parameters: parameters)
        }
    }

    /// The base type of a Content-Type header, lower-cased, without parameters.
    static func baseType(_ header: String?) -> String? {
        guard let header, let first = header.split(separator: ";").first else { return nil }
        let base = first.trimmingCharacters(in: .whitespaces).lowercased()
        return base.isEmpty ? nil : base
    }
}

/// What representation the client asked for.
enum ResponseShape: Equatable {
    case object
    case table(includeObject: String)
}

extension MediaTypes {
    /// Table when the client lists `as=Table` before any plain JSON; otherwise plain objects.
    static func shape(accept: String?, includeObject: String?) -> ResponseShape {
        for entry in parseAccept(accept) {
            if entry.parameters["as"] == "Table", entry.parameters["g"] == "meta.k8s.io" {
                return .table(includeObject: includeObject ?? "Metadata")
            }
            if entry.type == json || entry.type == "*/*" || entry.type == "application/*" { return .object }
        }
        return .object
    }

    /// JSON is acceptable unless the client named only types we cannot produce (kubectl always adds application/json).
    static func acceptsJSON(_ accept: String?) -> Bool {
        parseAccept(accept).contains { ["*/*", "application/*", json, yaml].contains($0.type) || $0.type.hasPrefix("application/json") }
    }
}
