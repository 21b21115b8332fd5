/// Who is making a request, as authentication established it.
public struct UserInfo: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var groups: [String]
    /// When set, the only paths this user may reach, whatever its groups: an exact path, or a prefix ending in `/`
    /// (a catalog binding's token reaches its instance's discovery and nothing else). Reads and creates only.
    public var pathScopes: [String]?

    public init(name: String, groups: [String], pathScopes: [String]? = nil) {
        self.name = name
        self.groups = groups
        self.pathScopes = pathScopes
    }

    public static let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])

    public var description: String { name }
}

/// Bearer tokens the server's token file does not hold, looked up when a request brings one (catalog binding
/// tokens). Asked only after the token file, so its users never wait on it.
public protocol TokenAuthority: Sendable {
    func user(forToken token: String) async -> UserInfo?
}
