import FlotillaAPI
import Foundation
import Testing
@testable import FlotillaScheduler

/// Golden tests: every what-if example under manifests/examples/scheduling/ must produce its `.expected.yaml`.
@Suite struct WhatIfExampleTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("manifests/examples/scheduling")

    static var examples: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") && !$0.hasSuffix(".expected.yaml") }.sorted()
    }

    @Test func thereAreExamples() { #expect(Self.examples.count >= 2) }

    @Test(arguments: examples)
    func producesTheExpectedBindings(example: String) throws {
        let input = try YAMLCodec.decodeDocuments(String(contentsOf: Self.directory.appendingPathComponent(example), encoding: .utf8))
        let expectedName = example.replacingOccurrences(of: ".yaml", with: ".expected.yaml")
        let expected = try YAMLCodec.decodeDocuments(String(contentsOf: Self.directory.appendingPathComponent(expectedName), encoding: .utf8))
        let result = try WhatIf.run(documents: input)
        #expect(result.failures.isEmpty)
        #expect(result.bindings == expected)
    }

    @Test func unschedulableWorkloadsAreReportedWithTheReason() throws {
        let input = try YAMLCodec.decodeDocuments("""
            apiVersion: cluster.karmada.io/v1alpha1
            kind: Cluster
            metadata: {name: cloud, labels: {tier: cloud}}
            spec: {syncMode: Push}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: game}
            spec: {replicas: 2, selector: {matchLabels: {app: g}}, template: {metadata: {labels: {app: g}}, spec: {containers: [{name: s, image: i}]}}}
            ---
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: edge-only}
            spec:
              resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: game}]
              placement: {clusterAffinity: {labelSelector: {matchLabels: {tier: edge}}}}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: unclaimed}
            """)
        let result = try WhatIf.run(documents: input)
        #expect(result.bindings.isEmpty)
        #expect(result.failures.map(\.reason) == [
            "0/1 clusters are available: 1 cluster(s) did not match the placement cluster affinity constraint.",
            "no PropagationPolicy or ClusterPropagationPolicy selects it",
        ])
    }

    @Test func namespacedPoliciesWinThenPriorityThenSpecificity() throws {
        let template: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment",
                                   "metadata": ["name": "web", "namespace": "games", "labels": ["app": "web"]]]
        func policy(_ name: String, priority: Int32, selector: ResourceSelector) -> PropagationPolicy {
            var spec = PropagationSpec(resourceSelectors: [selector])
            spec.priority = priority
            return PropagationPolicy(metadata: ObjectMeta(name: name, namespace: "games"), spec: spec)
        }
        let byKind = ResourceSelector(apiVersion: "apps/v1", kind: "Deployment")
        let byName = ResourceSelector(apiVersion: "apps/v1", kind: "Deployment", name: "web")
        let byLabel = ResourceSelector(apiVersion: "apps/v1", kind: "Deployment", labelSelector: LabelSelector(matchLabels: ["app": "web"]))
        let cluster = ClusterPropagationPolicy(metadata: ObjectMeta(name: "cluster-wide"), spec: PropagationSpec(resourceSelectors: [byName]))
        #expect(PolicySelection.select(template: template, policies: [policy("kind", priority: 0, selector: byKind)], clusterPolicies: [cluster])?
            .policyName == "kind")
        #expect(PolicySelection.select(template: template, policies: [policy("kind", priority: 5, selector: byKind),
            policy("name", priority: 1, selector: byName)], clusterPolicies: [])?.policyName == "kind")
        #expect(PolicySelection.select(template: template, policies: [policy("label", priority: 0, selector: byLabel),
            policy("name", priority: 0, selector: byName)], clusterPolicies: [])?.policyName == "name")
        #expect(PolicySelection.select(template: template, policies: [policy("b", priority: 0, selector: byKind),
            policy("a", priority: 0, selector: byKind)], clusterPolicies: [])?.policyName == "a")
        #expect(PolicySelection.select(template: template, policies: [], clusterPolicies: [cluster])?.policyName == "cluster-wide")
    }
}
