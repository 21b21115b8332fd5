/// JSON merge patch (RFC 7386): objects merge recursively, `null` removes a key, anything else replaces.
public enum MergePatch {
    /// Applies `patch` to `target`. A patch that is not an object replaces the target whole (RFC 7386 §2);
    /// callers that need an object (the API) check that first.
    public static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in patchMembers {
            if value == .null {
                result.removeValue(forKey: key)
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }

    /// The merge patch that turns `original` into `modified` (used by tests and by client-side tooling).
    public static func diff(from original: JSONValue, to modified: JSONValue) -> JSONValue? {
        guard case .object(let a) = original, case .object(let b) = modified else {
            return original == modified ? nil : modified
        }
        var patch: JSONObject = [:]
        for (key, old) in a where b[key] == nil { patch[key] = .null; _ = old }
        for (key, new) in b {
            if let old = a[key] {
                if let change = diff(from: old, to: new) { patch[key] = change }
            } else {
                patch[key] = new
            }
        }
        return patch.isEmpty ? nil : .object(patch)
    }
}
