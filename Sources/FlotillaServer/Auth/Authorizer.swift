import FlotillaAPI
import FlotillaAPIExtension

/// The two built-in roles: admins may do everything; viewers may get, list and watch everything except Secrets
/// (as Kubernetes' `view` role: member-cluster credentials live in Secrets). Group membership decides:
/// `system:masters` or `flotilla:admins` → admin; `flotilla:viewers` → viewer. Everyone else is forbidden. A user with
/// `pathScopes` (a catalog binding's or an API invoker's token) may do its `scopeVerbs` only under those paths.
public struct Authorizer: Sendable {
    public static let adminGroups: Set<String> = ["system:masters", "flotilla:admins"]
    public static let viewerGroups: Set<String> = ["flotilla:viewers"]
    public static let readVerbs: Set<String> = ["get", "list", "watch"]

    public init() {}

    public func allows(_ user: UserInfo, verb: String, resource: GroupResource? = nil, path: String? = nil) -> Bool {
        if let scopes = user.pathScopes {
            guard let path, user.scopeVerbs.contains(verb) else { return false }
            return scopes.contains { path == $0 || ($0.hasSuffix("/") && path.hasPrefix($0)) }
        }
        if !Self.adminGroups.isDisjoint(with: user.groups) { return true }
        if !Self.viewerGroups.isDisjoint(with: user.groups) {
            return Self.readVerbs.contains(verb) && resource != GroupResource(group: "", resource: "secrets")
        }
        return false
    }
}
