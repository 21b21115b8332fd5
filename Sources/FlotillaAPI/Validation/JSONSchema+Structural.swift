import Foundation

/// The structural-schema dialect of CustomResourceDefinitions (apiextensions.k8s.io/v1 `openAPIV3Schema`): what a
/// schema may say, the pruning of fields it does not declare, and defaulting. Checking a value is `check`, shared
/// with the service-plan dialect. Pure.
extension JSONSchema {
    /// Keywords whose rule `check` enforces.
    static let structuralChecked: Set<String> = ["type", "properties", "required", "additionalProperties", "items", "enum",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern",
        "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "nullable", "format", "default",
        "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource"]
    /// Keywords that only describe, or that shape server-side apply merges Flotilla does not perform differently.
    static let structuralAnnotations: Set<String> = ["description", "title", "example", "externalDocs",
        "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type"]
    /// Accepted with a `Warning` because Flotilla does not evaluate them (CEL rules, the logical junctors).
    static let structuralUnevaluated: Set<String> = ["allOf", "anyOf", "oneOf", "not", "x-kubernetes-validations"]

    /// What is wrong with a CRD version's schema (errors refuse the CRD) and what is accepted but not evaluated
    /// (each a warning), with Kubernetes' structural rules: every node has a type unless it preserves unknown fields
    /// or is int-or-string; `$ref`, `definitions`, `dependencies`, `additionalItems`, `patternProperties` and
    /// `uniqueItems: true` are forbidden; `properties` and a schema-valued `additionalProperties` exclude each other;
    /// the root is an object.
    public static func structuralProblems(in schema: JSONValue, at path: FieldPath) -> (errors: [FieldError], warnings: [String]) {
        var errors: [FieldError] = []
        var warnings: [String] = []
        if schema["type"]?.stringValue != "object" {
            errors.append(.invalid(path.child("type"), schema["type"]?.stringValue ?? "", "must be object at the root"))
        }
        structural(schema, path, root: true, &errors, &warnings)
        return (errors, warnings)
    }

    static func structural(_ schema: JSONValue, _ path: FieldPath, root: Bool, _ errors: inout [FieldError], _ warnings: inout [String]) {
        guard let object = schema.objectValue else {
            errors.append(.invalid(path, describe(schema), "a schema is an object"))
            return
        }
        for key in object.keys.sorted() {
            if structuralUnevaluated.contains(key) {
                warnings.append("\(path.child(key)): \(key) is accepted but not evaluated by Flotilla")
            } else if !structuralChecked.contains(key), !structuralAnnotations.contains(key) {
                errors.append(.forbidden(path.child(key), "\(key) is not allowed in a structural schema"))
            }
        }
        let preserves = object["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
        let intOrString = object["x-kubernetes-int-or-string"]?.boolValue == true
        if let type = object["type"] {
            if !(type.stringValue.map(types.contains) ?? false) { errors.append(.notSupported(path.child("type"), describe(type), supported: types)) }
        } else if !preserves, !intOrString {
            errors.append(.required(path.child("type"), "must not be empty for specified object fields"))
        }
        if object["uniqueItems"]?.boolValue == true {
            errors.append(.forbidden(path.child("uniqueItems"), "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
        }
        if object["properties"] != nil, object["additionalProperties"]?.objectValue != nil {
            errors.append(.forbidden(path.child("additionalProperties"), "additionalProperties and properties are mutual exclusive"))
        }
        if let properties = object["properties"] {
            if let members = properties.objectValue {
                for (name, property) in members.sorted(by: { $0.key < $1.key }) {
                    if root, name == "metadata" { metadataProblems(property, path.child("properties").key(name), &errors); continue }
                    structural(property, path.child("properties").key(name), root: false, &errors, &warnings)
                }
            } else {
                errors.append(.invalid(path.child("properties"), describe(properties), "must be an object of schemas"))
            }
        }
        if let additional = object["additionalProperties"], additional.boolValue == nil {
            structural(additional, path.child("additionalProperties"), root: false, &errors, &warnings)
        }
        if let items = object["items"] {
            if items.arrayValue != nil { errors.append(.forbidden(path.child("items"), "items must be a schema object and not an array")) }
            else { structural(items, path.child("items"), root: false, &errors, &warnings) }
        } else if object["type"]?.stringValue == "array" {
            errors.append(.required(path.child("items"), "must be specified for arrays"))
        }
        if let required = object["required"], !(required.arrayValue?.allSatisfy { $0.stringValue != nil } ?? false) {
            errors.append(.invalid(path.child("required"), describe(required), "must be a list of property names"))
        }
        if let pattern = object["pattern"], pattern.stringValue.flatMap({ try? NSRegularExpression(pattern: $0) }) == nil {
            errors.append(.invalid(path.child("pattern"), describe(pattern), "must be a regular expression"))
        }
        for key in ["minimum", "maximum", "multipleOf"] where object[key] != nil && object[key]?.doubleValue == nil {
            errors.append(.invalid(path.child(key), describe(object[key]!), "must be a number"))
        }
        for key in ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"]
            where object[key] != nil && (object[key]?.int64Value ?? -1) < 0 {
            errors.append(.invalid(path.child(key), describe(object[key]!), "must be a non-negative integer"))
        }
        if let format = object["format"]?.stringValue, !SchemaFormat.checked.contains(format) {
            warnings.append("\(path.child("format")): format \"\(format)\" is not checked (checked formats: \(SchemaFormat.checked.sorted().joined(separator: ", ")))")
        }
        if root, object["default"] != nil { errors.append(.forbidden(path.child("default"), "must not be set at the root")) }
        if let value = object["default"], !root {
            let (pruned, dropped) = prune(value, schema)
            if !dropped.isEmpty { errors.append(.invalid(path.child("default"), describe(value), "must not have fields the schema does not declare (\(dropped.joined(separator: ", ")))")) }
            errors += check(pruned, schema, path.child("default"))
        }
    }

    /// At the root, `metadata` may only restrict `name` and `generateName` with string rules (Kubernetes' rule).
    static func metadataProblems(_ schema: JSONValue, _ path: FieldPath, _ errors: inout [FieldError]) {
        for key in (schema.objectValue ?? [:]).keys.sorted() where !["type", "properties", "description"].contains(key) {
            errors.append(.forbidden(path.child(key), "must not be specified for metadata"))
        }
        for (name, property) in (schema["properties"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard ["name", "generateName"].contains(name) else {
                errors.append(.forbidden(path.child("properties").key(name), "only name and generateName may be restricted"))
                continue
            }
            for key in (property.objectValue ?? [:]).keys.sorted() where !["type", "pattern", "maxLength", "minLength", "description", "enum"].contains(key) {
                errors.append(.forbidden(path.child("properties").key(name).child(key), "must not be specified for metadata.\(name)"))
            }
        }
    }

    /// The value without the members the schema does not declare (Kubernetes' pruning), and the dotted paths of
    /// what was dropped (reported as unknown fields). A node with `x-kubernetes-preserve-unknown-fields` keeps
    /// undeclared members; an embedded resource keeps its apiVersion, kind and metadata.
    public func prune(_ value: JSONValue) -> (JSONValue, [String]) {
        var dropped: [String] = []
        guard var object = value.objectValue else { return (value, []) }
        let top = object.filter { ["apiVersion", "kind", "metadata"].contains($0.key) }
        for key in top.keys { object[key] = nil }
        var pruned = Self.prune(.object(object), root, "", &dropped)
        for (key, member) in top { pruned[key] = member }
        return (pruned, dropped)
    }

    static func prune(_ value: JSONValue, _ schema: JSONValue) -> (JSONValue, [String]) {
        var dropped: [String] = []
        return (prune(value, schema, "", &dropped), dropped)
    }

    static func prune(_ value: JSONValue, _ schema: JSONValue, _ path: String, _ dropped: inout [String]) -> JSONValue {
        switch value {
        case .object(var object):
            let properties = schema["properties"]?.objectValue ?? [:]
            let additional = schema["additionalProperties"]
            let preserves = schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true || additional?.boolValue == true
            let embedded = schema["x-kubernetes-embedded-resource"]?.boolValue == true
            for (key, member) in object {
                let child = path.isEmpty ? key : "\(path).\(key)"
                if let property = properties[key] {
                    object[key] = prune(member, property, child, &dropped)
                } else if let additional, additional.objectValue != nil {
                    object[key] = prune(member, additional, child, &dropped)
                } else if preserves || (embedded && ["apiVersion", "kind", "metadata"].contains(key)) {
                    continue
                } else {
                    object[key] = nil
                    dropped.append(child)
                }
            }
            return .object(object)
        case .array(let items):
            guard let itemSchema = schema["items"] else { return value }
            return .array(items.enumerated().map { offset, item in prune(item, itemSchema, "\(path)[\(offset)]", &dropped) })
        default:
            return value
        }
    }

    /// The value with defaults filled in at every level, arrays' items included (Kubernetes defaults after pruning).
    public func withStructuralDefaults(_ value: JSONValue) -> JSONValue { Self.structuralDefaults(value, root) }

    static func structuralDefaults(_ value: JSONValue, _ schema: JSONValue) -> JSONValue {
        switch value {
        case .object(var object):
            for (name, property) in schema["properties"]?.objectValue ?? [:] {
                if let member = object[name] { object[name] = structuralDefaults(member, property) }
                else if let fallback = property["default"] { object[name] = structuralDefaults(fallback, property) }
            }
            if let additional = schema["additionalProperties"], additional.objectValue != nil {
                for (name, member) in object where schema["properties"]?[name] == nil { object[name] = structuralDefaults(member, additional) }
            }
            return .object(object)
        case .array(let items):
            guard let itemSchema = schema["items"] else { return value }
            return .array(items.map { structuralDefaults($0, itemSchema) })
        default:
            return value
        }
    }
}

/// The `format` values a schema's strings and numbers are checked against; other formats pass unchecked (as in
/// Kubernetes) and the CRD is warned.
enum SchemaFormat {
    static let checked: Set<String> = ["int32", "int64", "float", "double", "date-time", "date", "uuid", "byte", "ipv4", "ipv6",
                                       "hostname", "password"]

    static func problem(_ text: String, format: String) -> String? {
        switch format {
        case "date-time": return Timestamp(rfc3339: text) == nil ? "must be an RFC 3339 date-time" : nil
        case "date":
            return text.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) == nil ? "must be a date (YYYY-MM-DD)" : nil
        case "uuid": return UUID(uuidString: text) == nil ? "must be a UUID" : nil
        case "byte": return Data(base64Encoded: text) == nil ? "must be base64" : nil
        case "ipv4":
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil } ? nil : "must be an IPv4 address"
        case "ipv6":
            var address = in6_addr()
            return inet_pton(AF_INET6, text, &address) == 1 ? nil : "must be an IPv6 address"
        case "hostname": return NameValidation.dns1123Subdomain(text).first
        default: return nil
        }
    }

    static func problem(_ number: Double, format: String) -> String? {
        switch format {
        case "int32": return number.rounded() == number && number >= Double(Int32.min) && number <= Double(Int32.max) ? nil : "must be a 32-bit integer"
        case "int64": return number.rounded() == number ? nil : "must be a 64-bit integer"
        default: return nil
        }
    }
}
