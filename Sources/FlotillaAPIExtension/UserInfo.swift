/// Who is making a request, as authentication established it.
public struct UserInfo: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var groups: [String]
    /// When set, the only paths this user may reach, whatever its groups: an exact path, or a prefix ending in `/`
    /// (a catalog binding's token reaches its instance's discovery and nothing else), with `scopeVerbs` only.
    public var pathScopes: [String]?
    /// What a path-scoped user may do there (reads and creates unless said otherwise).
    public var scopeVerbs: Set<String>

    public init(name: String, groups: [String], pathScopes: [String]? = nil, scopeVerbs: Set<String> = ["get", "create"]) {
        self.name = name
        self.groups = groups
        self.pathScopes = pathScopes
        self.scopeVerbs = scopeVerbs
    }

    public static let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])

    public var description: String { name }
}

/// Bearer tokens the server's token file does not hold, looked up when a request brings one (catalog binding
/// tokens). Asked only after the token file, so its users never wait on it.
public protocol TokenAuthority: Sendable {
    func user(forToken token: String) async -> UserInfo?
}

/// Several token authorities asked in turn (catalog bindings, API invokers).
public struct TokenAuthorities: TokenAuthority {
    let authorities: [any TokenAuthority]

    public init(_ authorities: [any TokenAuthority]) { self.authorities = authorities }

    public func user(forToken token: String) async -> UserInfo? {
        for authority in authorities {
            if let user = await authority.user(forToken: token) { return user }
        }
        return nil
    }
}
