import FlotillaAPI
import FlotillaTestSupport
import Testing

/// The RBAC kinds are served to be propagated, validated as Kubernetes validates them, and every write says that
/// Flotilla itself grants nothing by them.
@Suite struct RBACKindsTests {
    static let clusterRoles = "/apis/rbac.authorization.k8s.io/v1/clusterroles"
    static let roleBindings = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings"

    @Test func rolesAndBindingsAreValidatedAndWarnedAsNotEnforced() async throws {
        try await withServer { (_: RunningServer, client: TestClient) async throws -> Void in
            let role: JSONValue = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                   "metadata": ["name": "system:aggregate-to-gamers"],
                                   "rules": [["apiGroups": ["games.flotilla.io"], "resources": ["gameserversets"], "verbs": ["get", "list"]]]]
            let created = try await client.request(.POST, Self.clusterRoles, json: role)
            #expect(created.status == 201, "a name with ':' is a valid RBAC name: \(created.text)")
            #expect(created.header("Warning")?.contains("grants nothing here") == true, "\(created.headers)")

            var badVerb = role
            badVerb.setMetadata("name", "bad")
            badVerb["rules"] = [["apiGroups": [""], "resources": ["pods"], "verbs": ["fly"]]]
            let refused = try await client.request(.POST, Self.clusterRoles, json: badVerb)
            #expect(refused.status == 422 && refused.text.contains("rules[0].verbs[0]"), "\(refused.text)")

            let binding: JSONValue = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                                      "metadata": ["name": "gamers", "namespace": "default"],
                                      "subjects": [["kind": "Group", "name": "gamers", "apiGroup": "rbac.authorization.k8s.io"]],
                                      "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:aggregate-to-gamers"]]
            let bound = try await client.request(.POST, Self.roleBindings, json: binding)
            #expect(bound.status == 201, "\(bound.text)")
            var changed = try #require(bound.json)
            changed.setValue("view", at: ["roleRef", "name"])
            let immutable = try await client.request(.PUT, Self.roleBindings + "/gamers", json: changed)
            #expect(immutable.status == 422 && immutable.text.contains("cannot change roleRef"), "\(immutable.text)")

            var wrongKind = binding
            wrongKind.setMetadata("name", "wrong")
            wrongKind["subjects"] = [["kind": "Team", "name": "x"]]
            let badSubject = try await client.request(.POST, Self.roleBindings, json: wrongKind)
            #expect(badSubject.status == 422 && badSubject.text.contains("subjects[0].kind"), "\(badSubject.text)")
        }
    }
}
