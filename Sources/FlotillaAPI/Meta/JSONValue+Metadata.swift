/// Direct access to the metadata of an object held as a `JSONValue`, for the layers (store, API server) that handle
/// every kind without decoding it.
extension JSONValue {
    public var metadata: JSONObject {
        get { self["metadata"]?.objectValue ?? [:] }
        set { self["metadata"] = .object(newValue) }
    }

    public var name: String? { self["metadata"]?["name"]?.stringValue }
    public var namespace: String? { self["metadata"]?["namespace"]?.stringValue }
    public var uid: String? { self["metadata"]?["uid"]?.stringValue }
    public var resourceVersion: String? { self["metadata"]?["resourceVersion"]?.stringValue }
    public var generation: Int64? { self["metadata"]?["generation"]?.int64Value }
    public var apiVersion: String? { self["apiVersion"]?.stringValue }
    public var kind: String? { self["kind"]?.stringValue }

    public var labels: [String: String] {
        guard case .object(let members)? = self["metadata"]?["labels"] else { return [:] }
        return members.compactMapValues(\.stringValue)
    }

    public var annotations: [String: String] {
        guard case .object(let members)? = self["metadata"]?["annotations"] else { return [:] }
        return members.compactMapValues(\.stringValue)
    }

    public var finalizers: [String] {
        self["metadata"]?["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    public var deletionTimestamp: String? { self["metadata"]?["deletionTimestamp"]?.stringValue }

    /// Sets or removes one metadata member.
    public mutating func setMetadata(_ key: String, _ value: JSONValue?) {
        var meta = metadata
        meta[key] = value
        metadata = meta
    }
}
