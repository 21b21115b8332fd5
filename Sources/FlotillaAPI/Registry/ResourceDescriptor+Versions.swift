extension ResourceDescriptor {
    /// What a write stores: a custom kind's object at the storage version of its definition (conversion `None`
    /// changes nothing but the apiVersion), anything else as it is.
    public func stored(_ object: JSONValue) -> JSONValue {
        guard let definition, definition.storageVersion != version else { return object }
        var object = object
        object["apiVersion"] = .string(GroupVersion(group: group, version: definition.storageVersion).description)
        return object
    }

    /// What a read at this descriptor's version answers: a custom kind's object with this version's apiVersion.
    public func presented(_ object: JSONValue) -> JSONValue {
        guard definition != nil, object.apiVersion != apiVersion, object.objectValue != nil else { return object }
        var object = object
        object["apiVersion"] = .string(apiVersion)
        return object
    }
}
