/// rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding and ClusterRoleBinding: served so that they
/// propagate (Roles and RoleBindings through PropagationPolicies, the cluster-scoped two through
/// ClusterPropagationPolicies) to members that enforce them. Flotilla's own servers authorize with their token
/// groups, not RBAC, so every write of these kinds is answered with a `Warning` saying the object grants nothing there.
public enum RBAC {
    public static let group = "rbac.authorization.k8s.io"
    static let notEnforced = "Flotilla does not authorize with RBAC: this server stores and propagates the object, it grants nothing here"
    static let verbs: Set<String> = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*",
                                     "bind", "escalate", "impersonate", "use", "approve", "sign", "proxy"]

    static func descriptor(kind: String, plural: String, namespaced: Bool, admit: @escaping @Sendable (JSONValue) -> Result<JSONValue, AdmissionFailure>,
                           unknownFields: @escaping @Sendable (JSONValue) -> [String],
                           updateProblems: (@Sendable (JSONValue, JSONValue) -> [FieldError])? = nil) -> ResourceDescriptor {
        var descriptor = ResourceDescriptor(group: group, version: "v1", kind: kind, plural: plural, namespaced: namespaced,
                                            nameRule: .pathSegment, builtin: true, admit: admit, unknownFields: unknownFields, warnings: { _ in [notEnforced] })
        if let updateProblems { descriptor.updateProblems = updateProblems }
        return descriptor
    }

    static func ruleProblems(_ rules: [PolicyRule], clusterScoped: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        for (offset, rule) in rules.enumerated() {
            let path = FieldPath("rules").index(offset)
            if rule.verbs.isEmpty { errors.append(.required(path.child("verbs"), "verbs must contain at least one value")) }
            for (index, verb) in rule.verbs.enumerated() where !verbs.contains(verb.lowercased()) {
                errors.append(.notSupported(path.child("verbs").index(index), verb, supported: verbs.sorted()))
            }
            let urls = rule.nonResourceURLs ?? []
            if !urls.isEmpty {
                if !clusterScoped { errors.append(.invalid(path.child("nonResourceURLs"), urls.joined(separator: ","), "namespaced rules cannot apply to non-resource URLs")) }
                if !(rule.resources ?? []).isEmpty { errors.append(.invalid(path.child("nonResourceURLs"), urls.joined(separator: ","), "rules cannot apply to both regular resources and non-resource URLs")) }
            } else if (rule.resources ?? []).isEmpty {
                errors.append(.required(path.child("resources"), "resource rules must supply at least one resource"))
            } else if rule.apiGroups == nil {
                errors.append(.required(path.child("apiGroups"), "resource rules must supply at least one api group"))
            }
        }
        return errors
    }

    static func bindingProblems(_ subjects: [Subject], roleRef: RoleRef, roleKinds: [String]) -> [FieldError] {
        var errors: [FieldError] = []
        if roleRef.apiGroup != group { errors.append(.notSupported(FieldPath("roleRef.apiGroup"), roleRef.apiGroup, supported: [group])) }
        if !roleKinds.contains(roleRef.kind) { errors.append(.notSupported(FieldPath("roleRef.kind"), roleRef.kind, supported: roleKinds)) }
        if roleRef.name.isEmpty { errors.append(.required(FieldPath("roleRef.name"))) }
        for (offset, subject) in subjects.enumerated() {
            let path = FieldPath("subjects").index(offset)
            if !["User", "Group", "ServiceAccount"].contains(subject.kind) {
                errors.append(.notSupported(path.child("kind"), subject.kind, supported: ["Group", "ServiceAccount", "User"]))
            }
            if subject.name.isEmpty { errors.append(.required(path.child("name"))) }
            if subject.kind == "ServiceAccount", subject.namespace?.isEmpty ?? true, roleKinds == ["ClusterRole"] {
                errors.append(.required(path.child("namespace")))
            }
        }
        return errors
    }

    /// Kubernetes' rule: a binding's roleRef never changes (delete and recreate the binding instead).
    @Sendable static func roleRefImmutable(_ new: JSONValue, old: JSONValue) -> [FieldError] {
        new["roleRef"] == old["roleRef"] ? [] : [.invalid(FieldPath("roleRef"), "", "cannot change roleRef")]
    }
}

@FastJSON
public struct PolicyRule: Sendable, Hashable, Codable {
    public var verbs: [String]
    public var apiGroups: [String]?
    public var resources: [String]?
    public var resourceNames: [String]?
    public var nonResourceURLs: [String]?
    public var unknownFields = UnknownFields()
}

@FastJSON
public struct Subject: Sendable, Hashable, Codable {
    public var kind: String
    public var name: String
    public var namespace: String?
    public var apiGroup: String?
    public var unknownFields = UnknownFields()
}

@FastJSON
public struct RoleRef: Sendable, Hashable, Codable {
    public var apiGroup: String
    public var kind: String
    public var name: String
    public var unknownFields = UnknownFields()
}

@FastJSON
public struct Role: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var rules: [PolicyRule]?
    public var unknownFields = UnknownFields()

    public static let descriptor = RBAC.descriptor(kind: "Role", plural: "roles", namespaced: true, admit: Role.admit,
                                                   unknownFields: Role.unknownFieldPaths)
    public func validate() -> [FieldError] { RBAC.ruleProblems(rules ?? [], clusterScoped: false) }
}

@FastJSON
public struct ClusterRole: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var rules: [PolicyRule]?
    /// Rules gathered from the ClusterRoles these selectors match, by the member's aggregation controller.
    public var aggregationRule: JSONValue?
    public var unknownFields = UnknownFields()

    public static let descriptor = RBAC.descriptor(kind: "ClusterRole", plural: "clusterroles", namespaced: false, admit: ClusterRole.admit,
                                                   unknownFields: ClusterRole.unknownFieldPaths)
    public func validate() -> [FieldError] { RBAC.ruleProblems(rules ?? [], clusterScoped: true) }
}

@FastJSON
public struct RoleBinding: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var subjects: [Subject]?
    public var roleRef: RoleRef
    public var unknownFields = UnknownFields()

    public static let descriptor = RBAC.descriptor(kind: "RoleBinding", plural: "rolebindings", namespaced: true, admit: RoleBinding.admit,
                                                   unknownFields: RoleBinding.unknownFieldPaths, updateProblems: RBAC.roleRefImmutable)
    public func validate() -> [FieldError] { RBAC.bindingProblems(subjects ?? [], roleRef: roleRef, roleKinds: ["ClusterRole", "Role"]) }
}

@FastJSON
public struct ClusterRoleBinding: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var subjects: [Subject]?
    public var roleRef: RoleRef
    public var unknownFields = UnknownFields()

    public static let descriptor = RBAC.descriptor(kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false,
                                                   admit: ClusterRoleBinding.admit, unknownFields: ClusterRoleBinding.unknownFieldPaths,
                                                   updateProblems: RBAC.roleRefImmutable)
    public func validate() -> [FieldError] { RBAC.bindingProblems(subjects ?? [], roleRef: roleRef, roleKinds: ["ClusterRole"]) }
}
