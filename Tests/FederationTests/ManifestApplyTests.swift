import FlotillaAPI
import FlotillaControllers
import Testing

/// The execution controller's decision per manifest, as a table.
@Suite struct ManifestApplyTests {
    static let work = Work(metadata: ObjectMeta(name: "web-deployment", namespace: "karmada-es-edge-1"), spec: WorkSpec(manifests: []))
    static let manifest: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment",
                                      "metadata": ["name": "web", "namespace": "default", "labels": ["app": "web"]],
                                      "spec": ["replicas": 2]]

    static func member(managed: Bool, replicas: Int64) -> JSONValue {
        var object: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment",
                                 "metadata": ["name": "web", "namespace": "default", "uid": "u1", "resourceVersion": "7"],
                                 "spec": ["replicas": .integer(replicas)], "status": ["replicas": 1]]
        var labels: JSONObject = ["app": "web"]
        if managed {
            labels = ManifestApply.desired(manifest, work: work)["metadata"]?["labels"]?.objectValue ?? [:]
        }
        object.setMetadata("labels", .object(labels))
        return object
    }

    @Test func theManifestIsStampedWithItsOwner() {
        let desired = ManifestApply.desired(Self.manifest, work: Self.work)
        #expect(desired.labels["karmada.io/managed"] == "true" && desired.labels["work.karmada.io/name"] == "web-deployment"
                && desired.labels["work.karmada.io/namespace"] == "karmada-es-edge-1" && desired.labels["app"] == "web")
    }

    @Test(arguments: [
        (current: false, managed: false, replicas: 0, overwrite: false, expected: "create"),
        (current: true, managed: true, replicas: 1, overwrite: false, expected: "update"),
        (current: true, managed: true, replicas: 2, overwrite: false, expected: "nothing"),
        (current: true, managed: false, replicas: 1, overwrite: false, expected: "conflict"),
        (current: true, managed: false, replicas: 1, overwrite: true, expected: "update"),
    ])
    func theActionFollowsWhatTheMemberHolds(current: Bool, managed: Bool, replicas: Int64, overwrite: Bool, expected: String) {
        let desired = ManifestApply.desired(Self.manifest, work: Self.work)
        let action = ManifestApply.decide(desired: desired, current: current ? Self.member(managed: managed, replicas: replicas) : nil,
                                          overwrite: overwrite, cluster: "edge-1", resource: "deployments")
        switch (action, expected) {
        case (.create(let object), "create"): #expect(object == desired)
        case (.update(let object), "update"):
            // The member's own fields stay (uid, resourceVersion for the compare-and-swap, status); the spec is the manifest's.
            #expect(object["spec"]?["replicas"] == 2 && object.uid == "u1" && object.resourceVersion == "7" && object["status"]?["replicas"] == 1)
            #expect(object.labels["karmada.io/managed"] == "true")
        case (.nothing, "nothing"): break
        case (.conflict(let message), "conflict"): #expect(message.hasPrefix("ConflictWithExisting") && message.contains("edge-1"))
        default: Issue.record("expected \(expected), got \(action)")
        }
    }
}

extension ManifestApplyTests {
    /// A Namespace the member already holds (made for another Work's manifests) is adopted, not a conflict.
    @Test func aNamespaceTheMemberHoldsIsAdopted() {
        let namespace: JSONValue = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "games", "labels": ["team": "ops"]]]
        let existing: JSONValue = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "games", "uid": "n1", "resourceVersion": "3"]]
        let action = ManifestApply.decide(desired: ManifestApply.desired(namespace, work: Self.work), current: existing, overwrite: false,
                                          cluster: "edge-1", resource: "namespaces")
        guard case .update(let updated) = action else { Issue.record("expected an update, got \(action)"); return }
        #expect(updated.labels["team"] == "ops" && updated.labels["karmada.io/managed"] == "true")
    }
}
