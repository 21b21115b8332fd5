import FlotillaAPI

/// Applies ClusterOverridePolicies and OverridePolicies to a manifest for one cluster, as Karmada's override
/// manager does: cluster-scoped policies first, then namespaced ones, each group by name; within a policy its
/// rules in order, a rule only when its `targetCluster` matches (no target: every cluster); within a rule the
/// overriders in Karmada's order — image, command, args, labels, annotations, field (JSON or YAML embedded in a
/// string), plaintext (JSON patch).
/// Pure; an overrider that cannot apply is reported, not half-applied.
public enum Overrides {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var policy: String
        public var message: String
        public var description: String { "override policy \(policy): \(message)" }
    }

    public static func apply(to manifest: JSONValue, cluster: Cluster, clusterPolicies: [ClusterOverridePolicy],
                             policies: [OverridePolicy]) -> Result<(manifest: JSONValue, applied: [String]), Failure> {
        var result = manifest
        var applied: [String] = []
        let ordered: [(String, OverrideSpec)] =
            clusterPolicies.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }.map { ($0.metadata.name ?? "", $0.spec) }
            + policies.filter { $0.metadata.namespace == manifest.namespace }
                .sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }.map { ("\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")", $0.spec) }
        for (name, spec) in ordered {
            if let selectors = spec.resourceSelectors, !selectors.isEmpty, !selectors.contains(where: { $0.matches(manifest) }) { continue }
            var used = false
            for rule in spec.effectiveRules where rule.targetCluster?.matches(cluster) ?? true {
                do {
                    result = try apply(rule.overriders, to: result)
                    used = true
                } catch {
                    return .failure(Failure(policy: name, message: error.description))
                }
            }
            if used { applied.append(name) }
        }
        return .success((result, applied))
    }

    struct OverrideError: Error, CustomStringConvertible { var description: String }

    static func apply(_ overriders: Overriders, to manifest: JSONValue) throws(OverrideError) -> JSONValue {
        var result = manifest
        for image in overriders.imageOverrider ?? [] { result = try overrideImages(image, in: result) }
        for command in overriders.commandOverrider ?? [] { result = try overrideList("command", command, in: result) }
        for args in overriders.argsOverrider ?? [] { result = try overrideList("args", args, in: result) }
        for labels in overriders.labelsOverrider ?? [] { result = try overrideMap("labels", labels, in: result) }
        for annotations in overriders.annotationsOverrider ?? [] { result = try overrideMap("annotations", annotations, in: result) }
        for field in overriders.fieldOverrider ?? [] { result = try overrideEmbedded(field, in: result) }
        if let plaintext = overriders.plaintext, !plaintext.isEmpty {
            let operations = JSONValue.array(plaintext.map { item in
                var op: JSONObject = ["op": .string(item.operator), "path": .string(item.path)]
                if let value = item.value { op["value"] = value }
                return .object(op)
            })
            do { result = try JSONPatch.apply(operations, to: result) } catch { throw OverrideError(description: "plaintext: \(error)") }
        }
        return result
    }

    /// The pod spec's JSON path for workloads that have one.
    static func podSpecPath(_ manifest: JSONValue) -> [String]? {
        switch manifest.kind {
        case "Pod": return ["spec"]
        case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job": return ["spec", "template", "spec"]
        default: return nil
        }
    }

    static func overrideImages(_ overrider: ImageOverrider, in manifest: JSONValue) throws(OverrideError) -> JSONValue {
        var result = manifest
        if let path = overrider.predicate?.path {
            guard let current = (try? JSONPointer(parsing: path))?.get(in: manifest)?.stringValue else {
                throw OverrideError(description: "imageOverrider: no image at \(path)")
            }
            let operation: JSONValue = [["op": "replace", "path": .string(path), "value": .string(try rewrite(current, overrider))]]
            do { return try JSONPatch.apply(operation, to: manifest) } catch { throw OverrideError(description: "imageOverrider: \(error)") }
        }
        guard let podSpec = podSpecPath(manifest) else { return manifest }
        for key in ["containers", "initContainers"] {
            guard var containers = result.value(at: podSpec + [key])?.arrayValue else { continue }
            for index in containers.indices {
                guard let image = containers[index]["image"]?.stringValue else { continue }
                containers[index]["image"] = .string(try rewrite(image, overrider))
            }
            result.setValue(.array(containers), at: podSpec + [key])
        }
        return result
    }

    /// Splits `registry/repository:tag`, changes one component, joins it again.
    static func rewrite(_ image: String, _ overrider: ImageOverrider) throws(OverrideError) -> String {
        var reference = ImageReference(image)
        let value = overrider.value ?? ""
        func change(_ current: String) throws(OverrideError) -> String {
            switch overrider.operator {
            case "add": return current + value
            case "replace": return value
            case "remove": return ""
            default: throw OverrideError(description: "imageOverrider: operator \(overrider.operator) is not add, remove or replace")
            }
        }
        switch overrider.component {
        case "Registry": reference.registry = try change(reference.registry)
        case "Repository": reference.repository = try change(reference.repository)
        case "Tag": reference.tag = try change(reference.tag)
        default: throw OverrideError(description: "imageOverrider: component \(overrider.component) is not Registry, Repository or Tag")
        }
        return reference.description
    }

    static func overrideList(_ field: String, _ overrider: CommandArgsOverrider, in manifest: JSONValue) throws(OverrideError) -> JSONValue {
        guard let podSpec = podSpecPath(manifest), var containers = manifest.value(at: podSpec + ["containers"])?.arrayValue else { return manifest }
        var result = manifest
        for index in containers.indices where containers[index]["name"]?.stringValue == overrider.containerName {
            var values = (containers[index][field]?.arrayValue ?? []).compactMap(\.stringValue)
            switch overrider.operator {
            case "add": values += overrider.value ?? []
            case "remove": values.removeAll { (overrider.value ?? []).contains($0) }
            default: throw OverrideError(description: "\(field)Overrider: operator \(overrider.operator) is not add or remove")
            }
            containers[index][field] = .array(values.map { .string($0) })
        }
        result.setValue(.array(containers), at: podSpec + ["containers"])
        return result
    }

    static func overrideMap(_ field: String, _ overrider: LabelAnnotationOverrider, in manifest: JSONValue) throws(OverrideError) -> JSONValue {
        var map = manifest["metadata"]?[field]?.objectValue ?? [:]
        for (key, value) in overrider.value ?? [:] {
            switch overrider.operator {
            case "add", "replace": map[key] = .string(value)
            case "remove": map[key] = nil
            default: throw OverrideError(description: "\(field)Overrider: operator \(overrider.operator) is not add, remove or replace")
            }
        }
        var result = manifest
        result.setMetadata(field, map.isEmpty ? nil : .object(map))
        return result
    }

    /// Karmada's fieldOverrider: the string at `fieldPath` is parsed as JSON or YAML, patched with the operations
    /// (JSON patch, `subPath` as the path) and written back in the same format.
    static func overrideEmbedded(_ overrider: FieldOverrider, in manifest: JSONValue) throws(OverrideError) -> JSONValue {
        let pointer: JSONPointer
        do { pointer = try JSONPointer(parsing: overrider.fieldPath) } catch { throw OverrideError(description: "fieldOverrider: \(error)") }
        guard let text = pointer.get(in: manifest)?.stringValue else {
            throw OverrideError(description: "fieldOverrider: \(overrider.fieldPath) is not a string field of the manifest")
        }
        let isYAML = !(overrider.yaml ?? []).isEmpty
        var document: JSONValue
        do {
            document = isYAML ? try YAMLCodec.decode(text) : try JSONValue.parse(Array(text.utf8))
        } catch {
            throw OverrideError(description: "fieldOverrider: \(overrider.fieldPath) does not hold \(isYAML ? "YAML" : "JSON"): \(error)")
        }
        let operations = JSONValue.array((isYAML ? overrider.yaml : overrider.json)?.map { item in
            var op: JSONObject = ["op": .string(item.operator), "path": .string(item.subPath)]
            if let value = item.value { op["value"] = value }
            return .object(op)
        } ?? [])
        do { document = try JSONPatch.apply(operations, to: document) } catch { throw OverrideError(description: "fieldOverrider \(overrider.fieldPath): \(error)") }
        let written = isYAML ? YAMLCodec.encode(document) : String(decoding: document.serialized(), as: UTF8.self)
        do {
            return try JSONPatch.apply([["op": "replace", "path": .string(overrider.fieldPath), "value": .string(written)]], to: manifest)
        } catch {
            throw OverrideError(description: "fieldOverrider \(overrider.fieldPath): \(error)")
        }
    }
}

/// `registry/repository:tag` (or `@digest`), split the way Karmada's image overrider sees it: the first path
/// component is a registry when it contains a dot or a colon or is `localhost`.
struct ImageReference: CustomStringConvertible {
    var registry = ""
    var repository = ""
    var tag = ""
    var digest = ""

    init(_ image: String) {
        var rest = image
        if let at = rest.firstIndex(of: "@") {
            digest = String(rest[rest.index(after: at)...])
            rest = String(rest[..<at])
        }
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = String(rest[..<colon])
        }
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" {
                registry = String(first)
                rest = String(rest[rest.index(after: slash)...])
            }
        }
        repository = rest
    }

    var description: String {
        var text = registry.isEmpty ? repository : "\(registry)/\(repository)"
        if !tag.isEmpty { text += ":\(tag)" }
        if !digest.isEmpty { text += "@\(digest)" }
        return text
    }
}
