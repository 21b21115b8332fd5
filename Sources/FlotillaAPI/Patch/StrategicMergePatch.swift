/// Kubernetes strategic merge patch: a merge patch in which lists with a merge key merge element by element,
/// with the directives kubectl sends — `$patch: delete|replace|merge`, `$setElementOrder/<list>`,
/// `$deleteFromPrimitiveList/<list>` and `$retainKeys`.
///
/// Worked example (what `kubectl apply` sends after removing container "sidecar" and env var "B"):
/// original containers `[app{env:[A,B]}, sidecar]`, patch
/// `{"$setElementOrder/containers":[{"name":"app"}], "containers":[{"name":"app","env":[{"$patch":"delete","name":"B"}]},
/// {"$patch":"delete","name":"sidecar"}]}` → containers `[app{env:[A]}]`.
public enum StrategicMergePatch {
    public static func apply(_ patch: JSONValue, to original: JSONValue, schema: PatchSchema) throws(PatchError) -> JSONValue {
        guard case .object(let patchMembers) = patch else {
            throw .malformed("a strategic merge patch must be a JSON object, found \(patch.typeName)")
        }
        return try mergeObject(original.objectValue ?? [:], patchMembers, schema: schema, retainKeys: false) ?? .object([:])
    }

    static let directivePrefixOrder = "$setElementOrder/"
    static let directivePrefixDeletePrimitive = "$deleteFromPrimitiveList/"

    /// Returns `nil` when the patch deletes the whole object (`$patch: delete`).
    static func mergeObject(_ original: JSONObject, _ patch: JSONObject, schema: PatchSchema?,
                            retainKeys: Bool) throws(PatchError) -> JSONValue? {
        var patch = patch
        if let directive = patch.removeValue(forKey: "$patch") {
            switch directive.stringValue {
            case "replace": return .object(stripDirectives(patch))
            case "delete": return nil
            case "merge": break
            default: throw .malformed("unknown $patch directive \(directive)")
            }
        }
        var result = original
        if let retained = patch.removeValue(forKey: "$retainKeys") {
            guard case .array(let keys) = retained else { throw .malformed("$retainKeys must be a list of keys") }
            let keep = Set(keys.compactMap(\.stringValue))
            result = result.filter { keep.contains($0.key) }
        } else if retainKeys {
            // retainKeys strategy without the directive: clear what the patch does not name.
            result = result.filter { patch[$0.key] != nil }
        }
        var orders: [String: [JSONValue]] = [:]
        for (key, value) in patch where key.hasPrefix(directivePrefixOrder) {
            guard case .array(let order) = value else { throw .malformed("\(key) must be a list") }
            orders[String(key.dropFirst(directivePrefixOrder.count))] = order
        }
        for (key, value) in patch where key.hasPrefix(directivePrefixDeletePrimitive) {
            guard case .array(let removals) = value else { throw .malformed("\(key) must be a list") }
            let field = String(key.dropFirst(directivePrefixDeletePrimitive.count))
            if case .array(let items) = result[field] {
                let filtered = items.filter { !removals.contains($0) }
                result[field] = filtered.isEmpty ? nil : .array(filtered)
            }
        }
        for (key, value) in patch where !key.hasPrefix("$") {
            let field = schema?.fields[key]
            if value == .null {
                result.removeValue(forKey: key)
                continue
            }
            switch (result[key], value) {
            case (.object(let a)?, .object(let b)):
                result[key] = try mergeObject(a, b, schema: field?.schema, retainKeys: field?.retainKeys ?? false)
            case (_, .object(let b)):
                // Nothing to merge into: the patch value (without directives) is the new value, unless it deletes.
                if b["$patch"]?.stringValue == "delete" { result.removeValue(forKey: key) }
                else { result[key] = try mergeObject([:], b, schema: field?.schema, retainKeys: false) }
            case (_, .array(let b)) where field?.list != nil:
                let merged = try mergeList(result[key]?.arrayValue ?? [], b, field: field!)
                result[key] = .array(merged)
            default:
                result[key] = stripDirectivesDeep(value)
            }
        }
        for (field, order) in orders {
            guard case .array(let items) = result[field] else { continue }
            result[field] = .array(reorder(items, by: order, key: schema?.fields[field]?.list))
        }
        return .object(result)
    }

    static func mergeList(_ original: [JSONValue], _ patch: [JSONValue], field: PatchSchema.Field) throws(PatchError) -> [JSONValue] {
        // A list-level `{"$patch": "replace"}` element replaces the whole list with the other elements.
        if patch.contains(where: { $0["$patch"]?.stringValue == "replace" && $0.objectValue?.count == 1 }) {
            return patch.filter { !($0["$patch"]?.stringValue == "replace" && $0.objectValue?.count == 1) }.map(stripDirectivesDeep)
        }
        switch field.list {
        case .mergePrimitives:
            var result = original
            for item in patch where !result.contains(item) { result.append(item) }
            return result
        case .mergeByKey(let mergeKey):
            var result = original
            for item in patch {
                guard case .object(let members) = item else {
                    throw .malformed("elements of a list merged by \"\(mergeKey)\" must be objects")
                }
                guard let keyValue = members[mergeKey] else {
                    throw .malformed("an element of a list merged by \"\(mergeKey)\" does not have that key")
                }
                let index = result.firstIndex { $0[mergeKey] == keyValue }
                if members["$patch"]?.stringValue == "delete" {
                    if let index { result.remove(at: index) }
                    continue
                }
                if let index, case .object(let existing) = result[index] {
                    if let merged = try mergeObject(existing, members, schema: field.schema, retainKeys: false) {
                        result[index] = merged
                    } else {
                        result.remove(at: index)
                    }
                } else if let created = try mergeObject([:], members, schema: field.schema, retainKeys: false) {
                    result.append(created)
                }
            }
            return result
        case nil:
            return patch.map(stripDirectivesDeep)
        }
    }

    /// Orders elements named in `order` as it says; the others keep their relative order after them.
    static func reorder(_ items: [JSONValue], by order: [JSONValue], key: PatchSchema.ListStrategy?) -> [JSONValue] {
        func identity(_ item: JSONValue) -> JSONValue {
            if case .mergeByKey(let k)? = key { return item[k] ?? item }
            return item
        }
        let positions = Dictionary(order.enumerated().map { (identity($0.element), $0.offset) }, uniquingKeysWith: { a, _ in a })
        let ranked = items.enumerated().sorted { a, b in
            let pa = positions[identity(a.element)] ?? Int.max
            let pb = positions[identity(b.element)] ?? Int.max
            return pa != pb ? pa < pb : a.offset < b.offset
        }
        return ranked.map(\.element)
    }

    static func stripDirectives(_ members: JSONObject) -> JSONObject {
        members.filter { !$0.key.hasPrefix("$") }.mapValues(stripDirectivesDeep)
    }

    static func stripDirectivesDeep(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): return .object(stripDirectives(members))
        case .array(let items): return .array(items.map(stripDirectivesDeep))
        default: return value
        }
    }
}
