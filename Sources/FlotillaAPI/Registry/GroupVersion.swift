/// A group and resource, the identity a store keys objects by (`deployments.apps`, `namespaces`).
public struct GroupResource: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var group: String
    public var resource: String

    public init(group: String, resource: String) {
        self.group = group
        self.resource = resource
    }

    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }

    public static func < (lhs: GroupResource, rhs: GroupResource) -> Bool { lhs.description < rhs.description }
}

/// `apps/v1`, or `v1` for the core group.
public struct GroupVersion: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String

    public init(group: String, version: String) {
        self.group = group
        self.version = version
    }

    /// Parses an `apiVersion` value.
    public init?(apiVersion: String) {
        let parts = apiVersion.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1 where !parts[0].isEmpty: self.init(group: "", version: String(parts[0]))
        case 2 where !parts[0].isEmpty && !parts[1].isEmpty: self.init(group: String(parts[0]), version: String(parts[1]))
        default: return nil
        }
    }

    public var description: String { group.isEmpty ? version : "\(group)/\(version)" }
}

public struct GroupVersionKind: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var kind: String

    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }

    public var groupVersion: GroupVersion { GroupVersion(group: group, version: version) }
    public var apiVersion: String { groupVersion.description }
    public var description: String { "\(apiVersion), Kind=\(kind)" }
}
