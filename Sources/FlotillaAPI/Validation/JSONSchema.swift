import Foundation

/// The JSON Schema subset a service plan's `parameters` may use, and the check of parameters against it. Pure.
///
/// Keywords: `type` (object, string, integer, number, boolean, array), `properties`, `required`,
/// `additionalProperties` (a boolean), `items`, `enum`, `minimum`, `maximum`, `minLength`, `maxLength`, `pattern`,
/// `default`, and the annotations `$schema`, `title`, `description`. Any other keyword makes the schema invalid
/// (`problems(in:)`), so a schema is never accepted with a rule that is then not checked.
public struct JSONSchema: Sendable {
    public let root: JSONValue

    static let keywords: Set<String> = ["type", "properties", "required", "additionalProperties", "items", "enum", "minimum",
        "maximum", "minLength", "maxLength", "pattern", "default", "$schema", "title", "description"]
    static let types = ["object", "string", "integer", "number", "boolean", "array"]

    public init(_ root: JSONValue) { self.root = root }

    /// What is wrong with the schema itself, with the path of each problem under `path`.
    public static func problems(in schema: JSONValue, at path: FieldPath) -> [FieldError] {
        guard let object = schema.objectValue else { return [.invalid(path, "\(schema)", "a schema is an object")] }
        var errors: [FieldError] = []
        for key in object.keys.sorted() where !keywords.contains(key) {
            errors.append(.forbidden(path.child(key), "\(key) is not supported; use \(keywords.sorted().joined(separator: ", "))"))
        }
        if let type = object["type"], !(type.stringValue.map(types.contains) ?? false) {
            errors.append(.notSupported(path.child("type"), "\(type)", supported: types))
        }
        for (name, property) in (object["properties"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            errors += problems(in: property, at: path.child("properties").key(name))
        }
        if let properties = object["properties"], properties.objectValue == nil {
            errors.append(.invalid(path.child("properties"), "\(properties)", "must be an object of schemas"))
        }
        if let required = object["required"], !(required.arrayValue?.allSatisfy { $0.stringValue != nil } ?? false) {
            errors.append(.invalid(path.child("required"), "\(required)", "must be a list of property names"))
        }
        if let additional = object["additionalProperties"], additional.boolValue == nil {
            errors.append(.invalid(path.child("additionalProperties"), "\(additional)", "only true or false is supported"))
        }
        if let items = object["items"] { errors += problems(in: items, at: path.child("items")) }
        if let pattern = object["pattern"] {
            if pattern.stringValue.flatMap({ try? NSRegularExpression(pattern: $0) }) == nil {
                errors.append(.invalid(path.child("pattern"), "\(pattern)", "must be a regular expression"))
            }
        }
        for key in ["minimum", "maximum"] where object[key] != nil && object[key]?.doubleValue == nil {
            errors.append(.invalid(path.child(key), "\(object[key]!)", "must be a number"))
        }
        for key in ["minLength", "maxLength"] where object[key] != nil && object[key]?.int64Value == nil {
            errors.append(.invalid(path.child(key), "\(object[key]!)", "must be an integer"))
        }
        if let enumeration = object["enum"], enumeration.arrayValue?.isEmpty != false {
            errors.append(.invalid(path.child("enum"), "\(enumeration)", "must be a non-empty list"))
        }
        if errors.isEmpty, let value = object["default"] {
            errors += JSONSchema(schema).check(value, at: path.child("default"))
        }
        return errors
    }

    /// The value with every missing property that has a `default` filled in (recursively through objects).
    public func withDefaults(_ value: JSONValue?) -> JSONValue? { Self.defaults(value, root) }

    static func defaults(_ value: JSONValue?, _ schema: JSONValue) -> JSONValue? {
        guard let value else { return schema["default"] ?? (schema["type"]?.stringValue == "object" && schema["properties"] != nil ? defaults(.object([:]), schema) : nil) }
        guard var object = value.objectValue, let properties = schema["properties"]?.objectValue else { return value }
        for (name, property) in properties {
            if let filled = defaults(object[name], property) { object[name] = filled }
        }
        return .object(object)
    }

    /// Every way `value` breaks the schema, each with its path under `path`.
    public func check(_ value: JSONValue, at path: FieldPath) -> [FieldError] { Self.check(value, root, path) }

    /// The checks of both dialects: the service-plan subset (`problems(in:)` admits no more) and the structural
    /// schemas of CustomResourceDefinitions (`structuralProblems(in:)`), which add `nullable`, the int-or-string
    /// extension, exclusive bounds, item and property counts, schema-valued `additionalProperties` and `format`.
    static func check(_ value: JSONValue, _ schema: JSONValue, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if value == .null, schema["nullable"]?.boolValue == true { return [] }
        if schema["x-kubernetes-int-or-string"]?.boolValue == true {
            guard matches(value, type: "integer") || value.stringValue != nil else {
                return [.invalid(path, describe(value), "must be an integer or a string")]
            }
        } else if let type = schema["type"]?.stringValue, !matches(value, type: type) {
            return [.invalid(path, describe(value), "must be \(article(type)) \(type)")]
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(value) {
            errors.append(.notSupported(path, describe(value), supported: options.map(describe)))
        }
        if let number = value.doubleValue, value.stringValue == nil {
            errors += numberProblems(number, value, schema, path)
        }
        if let text = value.stringValue {
            if let minimum = schema["minLength"]?.int64Value, text.count < minimum {
                errors.append(.invalid(path, text, "must be at least \(minimum) characters"))
            }
            if let maximum = schema["maxLength"]?.int64Value, text.count > maximum {
                errors.append(FieldError(.tooLong, path, "must have at most \(maximum) characters"))
            }
            if let pattern = schema["pattern"]?.stringValue, let regex = try? NSRegularExpression(pattern: pattern),
                regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                errors.append(.invalid(path, text, "must match \(pattern)"))
            }
            if let format = schema["format"]?.stringValue, let problem = SchemaFormat.problem(text, format: format) {
                errors.append(.invalid(path, text, problem))
            }
        }
        if let object = value.objectValue {
            let properties = schema["properties"]?.objectValue ?? [:]
            for name in (schema["required"]?.arrayValue ?? []).compactMap(\.stringValue) where object[name] == nil {
                errors.append(.required(path.child(name)))
            }
            if let minimum = schema["minProperties"]?.int64Value, object.count < minimum {
                errors.append(.invalid(path, "\(object.count)", "must have at least \(minimum) properties"))
            }
            if let maximum = schema["maxProperties"]?.int64Value, object.count > maximum {
                errors.append(FieldError(.tooMany, path, "must have at most \(maximum) properties"))
            }
            let additional = schema["additionalProperties"]
            for (name, member) in object.sorted(by: { $0.key < $1.key }) {
                if let property = properties[name] {
                    errors += check(member, property, path.child(name))
                } else if let additional, additional.objectValue != nil {
                    errors += check(member, additional, path.key(name))
                } else if additional?.boolValue == false {
                    errors.append(.forbidden(path.child(name), "not allowed by the schema"))
                }
            }
        }
        if let items = value.arrayValue {
            if let minimum = schema["minItems"]?.int64Value, items.count < minimum {
                errors.append(.invalid(path, "\(items.count) items", "must have at least \(minimum) items"))
            }
            if let maximum = schema["maxItems"]?.int64Value, items.count > maximum {
                errors.append(FieldError(.tooMany, path, "must have at most \(maximum) items"))
            }
            if let schema = schema["items"] {
                for (offset, item) in items.enumerated() { errors += check(item, schema, path.index(offset)) }
            }
        }
        return errors
    }

    static func numberProblems(_ number: Double, _ value: JSONValue, _ schema: JSONValue, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if let minimum = schema["minimum"]?.doubleValue {
            let exclusive = schema["exclusiveMinimum"]?.boolValue == true
            if exclusive ? number <= minimum : number < minimum {
                errors.append(.invalid(path, describe(value), "must be greater than \(exclusive ? "" : "or equal to ")\(describe(schema["minimum"]!))"))
            }
        }
        if let maximum = schema["maximum"]?.doubleValue {
            let exclusive = schema["exclusiveMaximum"]?.boolValue == true
            if exclusive ? number >= maximum : number > maximum {
                errors.append(.invalid(path, describe(value), "must be less than \(exclusive ? "" : "or equal to ")\(describe(schema["maximum"]!))"))
            }
        }
        if let divisor = schema["multipleOf"]?.doubleValue, divisor > 0, (number / divisor).rounded() != number / divisor {
            errors.append(.invalid(path, describe(value), "must be a multiple of \(describe(schema["multipleOf"]!))"))
        }
        if let format = schema["format"]?.stringValue, let problem = SchemaFormat.problem(number, format: format) {
            errors.append(.invalid(path, describe(value), problem))
        }
        return errors
    }

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("string", .string), ("boolean", .bool), ("array", .array), ("integer", .integer): return true
        case ("integer", .double(let number)): return number.rounded() == number
        case ("number", .integer), ("number", .double): return true
        default: return false
        }
    }

    static func article(_ type: String) -> String { ["object", "integer", "array"].contains(type) ? "an" : "a" }

    static func describe(_ value: JSONValue) -> String {
        if let text = value.stringValue { return text }
        return String(decoding: value.serialized(), as: UTF8.self)
    }
}
