import FlotillaAPI
import FlotillaAPIExtension

/// The two built-in roles: admins may do everything; viewers may get, list and watch everything except Secrets
/// (as Kubernetes' `view` role: member-cluster credentials live in Secrets). Group membership decides:
/// `system:masters` or `flotilla:admins` → admin; `flotilla:viewers` → viewer. Everyone else is forbidden.
public struct Authorizer: Sendable {
    public static let adminGroups: Set<String> = ["system:masters", "flotilla:admins"]
    public static let viewerGroups: Set<String> = ["flotilla:viewers"]
    public static let readVerbs: Set<String> = ["get", "list", "watch"]

    public init() {}

    public func allows(_ user: UserInfo, verb: String, resource: GroupResource? = nil) -> Bool {
        if !Self.adminGroups.isDisjoint(with: user.groups) { return true }
        if !Self.viewerGroups.isDisjoint(with: user.groups) {
            return Self.readVerbs.contains(verb) && resource != GroupResource(group: "", resource: "secrets")
        }
        return false
    }
}
