/// JSON patch (RFC 6902): an ordered list of add / remove / replace / move / copy / test operations, applied
/// atomically (all or nothing).
public enum JSONPatch {
    public static func apply(_ patch: JSONValue, to document: JSONValue) throws(PatchError) -> JSONValue {
        guard case .array(let operations) = patch else {
            throw .malformed("a JSON patch must be a list of operations, found \(patch.typeName)")
        }
        var result = document
        for (offset, operation) in operations.enumerated() {
            result = try apply(operation, at: offset, to: result)
        }
        return result
    }

    static func apply(_ operation: JSONValue, at offset: Int, to document: JSONValue) throws(PatchError) -> JSONValue {
        guard case .object(let op) = operation else { throw .malformed("operation \(offset) must be an object") }
        guard let name = op["op"]?.stringValue else { throw .malformed("operation \(offset) has no \"op\"") }
        guard let pathText = op["path"]?.stringValue else { throw .malformed("operation \(offset) (\(name)) has no \"path\"") }
        let path = try JSONPointer(parsing: pathText)
        func value() throws(PatchError) -> JSONValue {
            guard let v = op["value"] else { throw .malformed("operation \(offset) (\(name)) has no \"value\"") }
            return v
        }
        func from() throws(PatchError) -> JSONPointer {
            guard let text = op["from"]?.stringValue else { throw .malformed("operation \(offset) (\(name)) has no \"from\"") }
            return try JSONPointer(parsing: text)
        }
        switch name {
        case "add":
            return try add(try value(), at: path, in: document)
        case "remove":
            return try remove(at: path, in: document).document
        case "replace":
            guard path.get(in: document) != nil else { throw .unprocessable("replace: path \(pathText) does not exist") }
            if path.tokens.isEmpty { return try value() }
            let removed = try remove(at: path, in: document).document
            return try add(try value(), at: path, in: removed)
        case "move":
            let source = try from()
            if path.tokens.starts(with: source.tokens), path.tokens.count > source.tokens.count {
                throw .unprocessable("move: \(pathText) is inside \(source)")
            }
            let (removed, moved) = try remove(at: source, in: document)
            return try add(moved, at: path, in: removed)
        case "copy":
            let source = try from()
            guard let copied = source.get(in: document) else { throw .unprocessable("copy: path \(source) does not exist") }
            return try add(copied, at: path, in: document)
        case "test":
            guard path.get(in: document) == (try value()) else {
                throw .unprocessable("test failed: the value at \(pathText) is not the expected value")
            }
            return document
        default:
            throw .malformed("operation \(offset) has unknown op \"\(name)\"")
        }
    }

    static func add(_ value: JSONValue, at path: JSONPointer, in document: JSONValue) throws(PatchError) -> JSONValue {
        guard let last = path.tokens.last else { return value }
        return try modify(document, along: path.tokens.dropLast()[...], pointer: path) { (parent) throws(PatchError) -> JSONValue in
            switch parent {
            case .object(var members):
                members[last] = value
                return .object(members)
            case .array(var items):
                guard let index = JSONPointer.arrayIndex(last, count: items.count, allowEnd: true) else {
                    throw .unprocessable("add: index \(last) is out of range at \(path)")
                }
                items.insert(value, at: index)
                return .array(items)
            default:
                throw .unprocessable("add: the parent of \(path) is not an object or array")
            }
        }
    }

    static func remove(at path: JSONPointer, in document: JSONValue) throws(PatchError) -> (document: JSONValue, removed: JSONValue) {
        guard let last = path.tokens.last else { throw .unprocessable("remove: cannot remove the whole document") }
        var removed: JSONValue = .null
        let result = try modify(document, along: path.tokens.dropLast()[...], pointer: path) { (parent) throws(PatchError) -> JSONValue in
            switch parent {
            case .object(var members):
                guard let value = members.removeValue(forKey: last) else {
                    throw .unprocessable("remove: path \(path) does not exist")
                }
                removed = value
                return .object(members)
            case .array(var items):
                guard let index = JSONPointer.arrayIndex(last, count: items.count, allowEnd: false) else {
                    throw .unprocessable("remove: index \(last) is out of range at \(path)")
                }
                removed = items.remove(at: index)
                return .array(items)
            default:
                throw .unprocessable("remove: the parent of \(path) is not an object or array")
            }
        }
        return (result, removed)
    }

    /// Rebuilds `document` with the value at `tokens` replaced by `change(value)`.
    static func modify(_ document: JSONValue, along tokens: ArraySlice<String>, pointer: JSONPointer,
                       _ change: (JSONValue) throws(PatchError) -> JSONValue) throws(PatchError) -> JSONValue {
        guard let first = tokens.first else { return try change(document) }
        switch document {
        case .object(var members):
            guard let child = members[first] else { throw .unprocessable("path \(pointer) does not exist") }
            members[first] = try modify(child, along: tokens.dropFirst(), pointer: pointer, change)
            return .object(members)
        case .array(var items):
            guard let index = JSONPointer.arrayIndex(first, count: items.count, allowEnd: false) else {
                throw .unprocessable("path \(pointer) does not exist")
            }
            items[index] = try modify(items[index], along: tokens.dropFirst(), pointer: pointer, change)
            return .array(items)
        default:
            throw .unprocessable("path \(pointer) does not exist")
        }
    }
}
