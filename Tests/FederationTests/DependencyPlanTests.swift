import FlotillaAPI
import FlotillaInterpreter
import Testing
@testable import FlotillaControllers

/// The dependencies distributor's plan, one row of its table per test.
@Suite struct DependencyPlanTests {
    static func configMap(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "games", "uid": .string("uid-\(name)")]]
    }
    static let stored = ["settings": configMap("settings"), "other": configMap("other")]
    static func reference(_ name: String) -> DependentReference { DependentReference(apiVersion: "v1", kind: "ConfigMap", namespace: "games", name: name) }
    static func lookup(_ reference: DependentReference) -> JSONValue? { stored[reference.name ?? ""] }
    static func parent(_ name: String, clusters: [String], needs: [String]) -> DependencyPlan.Parent {
        DependencyPlan.Parent(namespace: "games", name: name, clusters: clusters, dependencies: needs.map(reference))
    }
    static func requiredBy(_ entries: [(String, [String])]) -> JSONValue {
        .array(entries.map { ["namespace": "games", "name": .string($0.0), "clusters": .array($0.1.map { ["name": .string($0)] })] })
    }

    @Test func aNeededDependencyGetsAnAttachedBindingListingEveryParent() {
        let plan = DependencyPlan.plan(parents: [Self.parent("b-deployment", clusters: ["edge-2"], needs: ["settings"]),
                                                 Self.parent("a-deployment", clusters: ["edge-3", "edge-1"], needs: ["settings", "missing"])],
                                       bindings: [:], object: Self.lookup)
        #expect(plan.actions == [.create(namespace: "games", name: "settings-configmap", template: Self.stored["settings"]!,
                                         requiredBy: Self.requiredBy([("a-deployment", ["edge-1", "edge-3"]), ("b-deployment", ["edge-2"])]))])
        #expect(plan.missing.map(\.dependency.name) == ["missing"])
    }

    @Test func anExistingBindingIsUpdatedOnlyWhenRequiredByChanged() {
        let current = Self.requiredBy([("a-deployment", ["edge-1"])])
        let binding: JSONValue = ["metadata": ["name": "settings-configmap", "namespace": "games"], "spec": ["requiredBy": current]]
        let same = DependencyPlan.plan(parents: [Self.parent("a-deployment", clusters: ["edge-1"], needs: ["settings"])],
                                       bindings: ["games/settings-configmap": binding], object: Self.lookup)
        #expect(same.actions.isEmpty)
        let moved = DependencyPlan.plan(parents: [Self.parent("a-deployment", clusters: ["edge-2"], needs: ["settings"])],
                                        bindings: ["games/settings-configmap": binding], object: Self.lookup)
        #expect(moved.actions == [.update(namespace: "games", name: "settings-configmap", requiredBy: Self.requiredBy([("a-deployment", ["edge-2"])]))])
    }

    @Test func noLongerNeededAttachedBindingsGoAndClaimedOnesAreReleased() {
        let required = Self.requiredBy([("a-deployment", ["edge-1"])])
        let attached: JSONValue = ["metadata": ["name": "settings-configmap", "namespace": "games", "labels": [.init(stringLiteral: DependencyPlan.attachedLabel): "true"]],
                                   "spec": ["requiredBy": required]]
        let claimed: JSONValue = ["metadata": ["name": "other-configmap", "namespace": "games",
                                               "labels": [.init(stringLiteral: DependencyPlan.attachedLabel): "true", "propagationpolicy.karmada.io/name": "cfg"]],
                                  "spec": ["requiredBy": required]]
        let plan = DependencyPlan.plan(parents: [], bindings: ["games/settings-configmap": attached, "games/other-configmap": claimed], object: Self.lookup)
        #expect(plan.actions == [.update(namespace: "games", name: "other-configmap", requiredBy: nil),
                                 .delete(namespace: "games", name: "settings-configmap")])
    }

    @Test func targetsAreTheUnionOfScheduledAndRequiredClusters() throws {
        var binding = ResourceBinding(metadata: ObjectMeta(name: "settings-configmap", namespace: "games"),
                                      spec: ResourceBindingSpec(resource: ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "games", name: "settings", uid: nil)))
        binding.spec.clusters = [TargetCluster(name: "edge-1", replicas: nil)]
        binding.spec.requiredBy = Self.requiredBy([("a", ["edge-1", "edge-2"]), ("b", ["edge-3"])]).arrayValue
        #expect(DependencyPlan.targets(binding).map(\.name) == ["edge-1", "edge-2", "edge-3"])
    }
}
