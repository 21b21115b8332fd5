import FlotillaAPI
import Testing
@testable import FlotillaControllers

/// Overriders as Karmada defines them, on a Deployment manifest.
@Suite struct OverridesTests {
    static let manifest: JSONValue = [
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": ["name": "arena", "namespace": "games", "labels": ["app": "arena"]],
        "spec": ["replicas": 2, "template": ["spec": ["containers": [
            ["name": "server", "image": "registry.example.com:5000/games/arena:1.0", "args": ["--tick=30"]],
            ["name": "sidecar", "image": "envoy:1.29"],
        ]]]],
    ]

    static func cluster(_ name: String, region: String) -> Cluster {
        Cluster(metadata: ObjectMeta(name: name), spec: ClusterSpec(region: region))
    }

    static func policy(_ name: String, region: String? = nil, _ overriders: Overriders) -> OverridePolicy {
        let target = region.map { ClusterAffinity(fieldSelector: ClusterFieldSelector(matchExpressions: [
            NodeSelectorRequirement(key: "region", operator: "In", values: [$0])])) }
        return OverridePolicy(metadata: ObjectMeta(name: name, namespace: "games"),
            spec: OverrideSpec(resourceSelectors: [ResourceSelector(apiVersion: "apps/v1", kind: "Deployment", name: "arena")],
                overrideRules: [RuleWithCluster(targetCluster: target, overriders: overriders)]))
    }

    static func images(_ manifest: JSONValue) -> [String] {
        (manifest.value(at: ["spec", "template", "spec", "containers"])?.arrayValue ?? []).compactMap { $0["image"]?.stringValue }
    }

    @Test(arguments: [
        ("Registry", "replace", "mirror.eu", ["mirror.eu/games/arena:1.0", "mirror.eu/envoy:1.29"]),
        ("Registry", "add", "/cache", ["registry.example.com:5000/cache/games/arena:1.0", "/cache/envoy:1.29"]),
        ("Repository", "replace", "games/arena-eu", ["registry.example.com:5000/games/arena-eu:1.0", "games/arena-eu:1.29"]),
        ("Tag", "replace", "2.0", ["registry.example.com:5000/games/arena:2.0", "envoy:2.0"]),
        ("Tag", "remove", "", ["registry.example.com:5000/games/arena", "envoy"]),
    ])
    func imageOverriderChangesOneComponentOfEveryImage(component: String, op: String, value: String, expected: [String]) throws {
        var overriders = Overriders()
        overriders.imageOverrider = [ImageOverrider(component: component, operator: op, value: value)]
        let result = Overrides.apply(to: Self.manifest, cluster: Self.cluster("a", region: "eu"), clusterPolicies: [],
            policies: [Self.policy("image", overriders)])
        let manifest = try result.get().manifest
        #expect(Self.images(manifest) == expected)
    }

    @Test func rulesApplyOnlyToTheirClustersAndInKarmadasOrder() throws {
        var eu = Overriders()
        eu.imageOverrider = [ImageOverrider(component: "Tag", operator: "replace", value: "eu")]
        eu.argsOverrider = [CommandArgsOverrider(containerName: "server", operator: "add", value: ["--region=eu"])]
        eu.labelsOverrider = [LabelAnnotationOverrider(operator: "add", value: ["region": "eu"])]
        eu.plaintext = [PlaintextOverrider(path: "/spec/template/spec/containers/0/image", operator: "replace", value: "pinned:1")]
        let policies = [Self.policy("eu-only", region: "eu", eu)]
        let inEU = try Overrides.apply(to: Self.manifest, cluster: Self.cluster("a", region: "eu"), clusterPolicies: [], policies: policies).get()
        // Plaintext runs last, so it wins over the image overrider for the first container.
        #expect(Self.images(inEU.manifest) == ["pinned:1", "envoy:eu"])
        #expect(inEU.manifest.value(at: ["spec", "template", "spec", "containers"])?.arrayValue?.first?["args"]
            == ["--tick=30", "--region=eu"])
        #expect(inEU.manifest.labels == ["app": "arena", "region": "eu"])
        #expect(inEU.applied == ["games/eu-only"])
        let inUS = try Overrides.apply(to: Self.manifest, cluster: Self.cluster("b", region: "us"), clusterPolicies: [], policies: policies).get()
        #expect(inUS.manifest == Self.manifest)
        #expect(inUS.applied.isEmpty)
    }

    @Test func clusterPoliciesRunBeforeNamespacedOnes() throws {
        var first = Overriders()
        first.annotationsOverrider = [LabelAnnotationOverrider(operator: "add", value: ["owner": "platform"])]
        var second = Overriders()
        second.annotationsOverrider = [LabelAnnotationOverrider(operator: "replace", value: ["owner": "games-team"])]
        let clusterPolicy = ClusterOverridePolicy(metadata: ObjectMeta(name: "z-platform"),
            spec: OverrideSpec(resourceSelectors: nil, overrideRules: [RuleWithCluster(targetCluster: nil, overriders: first)]))
        let result = try Overrides.apply(to: Self.manifest, cluster: Self.cluster("a", region: "eu"), clusterPolicies: [clusterPolicy],
            policies: [Self.policy("a-team", second)]).get()
        #expect(result.manifest.annotations == ["owner": "games-team"])
        #expect(result.applied == ["z-platform", "games/a-team"])
    }

    @Test func aBadOverriderIsReportedNotHalfApplied() {
        var broken = Overriders()
        broken.plaintext = [PlaintextOverrider(path: "/spec/nothing/here", operator: "replace", value: 1)]
        let result = Overrides.apply(to: Self.manifest, cluster: Self.cluster("a", region: "eu"), clusterPolicies: [],
            policies: [Self.policy("broken", broken)])
        guard case .failure(let failure) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.policy == "games/broken")
    }

    @Test func workManifestDropsControlPlaneBookkeeping() throws {
        var template = Self.manifest
        template.setMetadata("uid", "u-1")
        template.setMetadata("resourceVersion", "42")
        template.setMetadata("annotations", ["kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "games"])
        template["status"] = ["readyReplicas": 2]
        let manifest = try WorkRendering.manifest(from: template, replicas: 5)
        #expect(manifest["status"] == nil)
        #expect(manifest.uid == nil && manifest.resourceVersion == nil)
        #expect(manifest.annotations == ["team": "games"])
        #expect(manifest.value(at: ["spec", "replicas"]) == 5)
    }

    static let configMap: JSONValue = [
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "game-config", "namespace": "games"],
        "data": ["settings.json": #"{"tick":30,"mode":"casual"}"#, "db.yaml": "host: db.local\nport: 5432\nreplicas: [a]\n"],
    ]

    /// Karmada's fieldOverrider patches documents embedded in strings and writes them back in their own format.
    @Test func fieldOverriderPatchesEmbeddedJSONAndYAML() throws {
        let overriders = Overriders(fieldOverrider: [
            FieldOverrider(fieldPath: "/data/settings.json", json: [EmbeddedOperation(subPath: "/tick", operator: "replace", value: 60),
                                                                     EmbeddedOperation(subPath: "/mode", operator: "remove")]),
            FieldOverrider(fieldPath: "/data/db.yaml", yaml: [EmbeddedOperation(subPath: "/host", operator: "replace", value: "db.edge"),
                                                               EmbeddedOperation(subPath: "/replicas/-", operator: "add", value: "b")]),
        ])
        let result = try Overrides.apply(overriders, to: Self.configMap)
        let settings = try JSONValue.parse(Array((result["data"]?["settings.json"]?.stringValue ?? "").utf8))
        #expect(settings == ["tick": 60])
        let db = try YAMLCodec.decode(result["data"]?["db.yaml"]?.stringValue ?? "")
        #expect(db == ["host": "db.edge", "port": 5432, "replicas": ["a", "b"]])
    }

    @Test(arguments: [
        (FieldOverrider(fieldPath: "/data/missing", json: [EmbeddedOperation(subPath: "/a", operator: "remove")]), "not a string field"),
        (FieldOverrider(fieldPath: "/data/db.yaml", json: [EmbeddedOperation(subPath: "/a", operator: "remove")]), "does not hold JSON"),
        (FieldOverrider(fieldPath: "/data/settings.json", json: [EmbeddedOperation(subPath: "/nope/x", operator: "replace", value: 1)]), "settings.json"),
    ])
    func aFieldOverriderThatCannotApplySaysWhy(overrider: FieldOverrider, message: String) {
        #expect(throws: Overrides.OverrideError.self) { try Overrides.apply(Overriders(fieldOverrider: [overrider]), to: Self.configMap) }
        do {
            _ = try Overrides.apply(Overriders(fieldOverrider: [overrider]), to: Self.configMap)
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }
}
