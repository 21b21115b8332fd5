extension ResourceDescriptor {
    /// What a create stores: a kind with a status subresource starts without status (the API server's rule).
    public func objectForCreate(_ object: JSONValue) -> JSONValue {
        guard subresources.contains("status") else { return object }
        var object = object
        object["status"] = nil
        return object
    }

    /// What an update stores: for kinds with a status subresource the main resource ignores `.status` and the
    /// status subresource changes nothing but `.status` (keeping the caller's resourceVersion precondition).
    public func objectForUpdate(_ new: JSONValue, current: JSONValue, subresource: String?) -> JSONValue {
        guard subresources.contains("status") else { return new }
        if subresource == "status" {
            var result = current
            result["status"] = new["status"]
            result.setMetadata("resourceVersion", new["metadata"]?["resourceVersion"])
            return result
        }
        var result = new
        result["status"] = current["status"]
        return result
    }
}
