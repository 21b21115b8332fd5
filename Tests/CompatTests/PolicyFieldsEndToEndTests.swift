import EdgeClusterSim
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// Karmada's PropagationPolicy fields beyond placement, as a user drives them: `suspension` (Works made but not
/// dispatched until lifted), `dependentOverrides` (the policy waits for the named overrides) and
/// `activationPreference: Lazy` (a policy change waits for the template's next change).
extension ProcessHeavyEndToEndTests {
@Suite(.serialized) struct PolicyFieldsEndToEndTests {
    static func manifest(image: String, suspension: String?) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: held, namespace: default}
        spec:
          replicas: 1
          selector: {matchLabels: {app: held}}
          template:
            metadata: {labels: {app: held}}
            spec: {containers: [{name: c, image: "\(image)", resources: {requests: {cpu: 10m}}}]}
        ---
        apiVersion: policy.karmada.io/v1alpha1
        kind: PropagationPolicy
        metadata: {name: held, namespace: default}
        spec:
          resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: held}]
          placement: {clusterAffinity: {clusterNames: [edge-1]}}
        \(suspension.map { "  suspension: \($0)" } ?? "")
        """
    }

    @Test func suspendedDispatchingHoldsTheWorkUntilLifted() async throws {
        let fixture = try await FederationFixture.start(sites: [FederationFixture.site("edge-1", region: "eu", nodes: 1)],
            kubelet: KubeletConfiguration(startupDelay: .milliseconds(100), jitter: .milliseconds(50)))
        let kubectl = fixture.kubectl, member = fixture.members["edge-1"]!
        do {
            try await fixture.waitForReadyClusters()
            let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.manifest(image: "nginx:1", suspension: "{dispatching: true}"))
            #expect(applied.status == 0 && !applied.stderr.contains("suspension"), "\(applied.combined)")
            try await waitUntil("the Work held", seconds: 30, every: .milliseconds(100)) {
                try await kubectl.run(["get", "works", "-n", "karmada-es-edge-1", "-l", "resourcebinding.karmada.io/name=held-deployment", "-o",
                    "jsonpath={.items[0].status.conditions[?(@.type==\"Dispatching\")].reason}"]).stdout == "SuspendDispatching"
            }
            #expect(try await kubectl.run(["get", "works", "-n", "karmada-es-edge-1", "-l", "resourcebinding.karmada.io/name=held-deployment",
                "-o", "jsonpath={.items[0].spec.suspendDispatching}"]).stdout == "true")
            #expect((try? await member.get(Deployment.descriptor, namespace: "default", name: "held")) == nil)

            // Lifted: the Deployment reaches the member.
            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.manifest(image: "nginx:1", suspension: nil)).status == 0)
            try await waitUntil("the Deployment on the member", seconds: 30, every: .milliseconds(100)) {
                (try? await member.get(Deployment.descriptor, namespace: "default", name: "held")) != nil
            }

            // Suspended on edge-1 by name: a later template change does not reach it.
            #expect(try await kubectl.run(["apply", "-f", "-"],
                stdin: Self.manifest(image: "nginx:1", suspension: "{dispatchingOnClusters: {clusterNames: [edge-1]}}")).status == 0)
            try await waitUntil("the Work held again", seconds: 30, every: .milliseconds(100)) {
                try await kubectl.run(["get", "works", "-n", "karmada-es-edge-1", "-l", "resourcebinding.karmada.io/name=held-deployment", "-o",
                    "jsonpath={.items[0].status.conditions[?(@.type==\"Dispatching\")].status}"]).stdout == "False"
            }
            #expect(try await kubectl.run(["apply", "-f", "-"],
                stdin: Self.manifest(image: "nginx:2", suspension: "{dispatchingOnClusters: {clusterNames: [edge-1]}}")).status == 0)
            try await waitUntil("the held Work rendered with the new image", seconds: 30, every: .milliseconds(100)) {
                try await kubectl.run(["get", "works", "-n", "karmada-es-edge-1", "-l", "resourcebinding.karmada.io/name=held-deployment",
                    "-o", "jsonpath={.items[0].spec.workload.manifests[0].spec.template.spec.containers[0].image}"]).stdout == "nginx:2"
            }
            try await Task.sleep(for: .seconds(1))
            let image = try await member.get(Deployment.descriptor, namespace: "default", name: "held")
                .value(at: ["spec", "template", "spec", "containers"])?.arrayValue?.first?["image"]?.stringValue
            #expect(image == "nginx:1")
        } catch {
            Issue.record("\(error)")
        }
        await fixture.stop()
    }

    @Test func aPolicyWaitsForItsDependentOverrides() async throws {
        let fixture = try await FederationFixture.start(sites: [FederationFixture.site("edge-1", region: "eu", nodes: 1)],
            kubelet: KubeletConfiguration(startupDelay: .milliseconds(100), jitter: .milliseconds(50)))
        let kubectl = fixture.kubectl, member = fixture.members["edge-1"]!
        do {
            try await fixture.waitForReadyClusters()
            let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.manifest(image: "nginx:1", suspension: nil)
                .replacingOccurrences(of: "  placement: {clusterAffinity: {clusterNames: [edge-1]}}",
                                      with: "  placement: {clusterAffinity: {clusterNames: [edge-1]}}\n  dependentOverrides: [held-image]"))
            #expect(applied.status == 0 && !applied.stderr.contains("dependentOverrides"), "\(applied.combined)")
            try await waitUntil("the policy's waiting event", seconds: 30, every: .milliseconds(100)) {
                try await kubectl.run(["get", "events", "--field-selector", "involvedObject.name=held"]).stdout.contains("DependentOverridesMissing")
            }
            #expect(try await kubectl.run(["get", "rb", "held-deployment"]).status != 0)
            #expect((try? await member.get(Deployment.descriptor, namespace: "default", name: "held")) == nil)

            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: """
                apiVersion: policy.karmada.io/v1alpha1
                kind: OverridePolicy
                metadata: {name: held-image, namespace: default}
                spec:
                  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: held}]
                  overrideRules: [{overriders: {imageOverrider: [{component: Tag, operator: replace, value: "3"}]}}]
                """).status == 0)
            try await waitUntil("the Deployment on the member, overridden", seconds: 30, every: .milliseconds(100)) {
                let deployment = try? await member.get(Deployment.descriptor, namespace: "default", name: "held")
                return deployment?.value(at: ["spec", "template", "spec", "containers"])?.arrayValue?.first?["image"]?.stringValue == "nginx:3"
            }

            // schedulePriority: the binding carries the named PriorityClass's value (0 and an event while it is missing).
            let prioritized = Self.manifest(image: "nginx:1", suspension: nil).replacingOccurrences(of: "  placement: {clusterAffinity: {clusterNames: [edge-1]}}",
                with: "  placement: {clusterAffinity: {clusterNames: [edge-1]}}\n  dependentOverrides: [held-image]\n  schedulePriority: {priorityClassSource: KubePriorityClass, priorityClassName: urgent}")
            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: prioritized).status == 0)
            try await waitUntil("the missing class reported", seconds: 30, every: .milliseconds(100)) {
                try await kubectl.run(["get", "events", "--field-selector", "involvedObject.name=held"]).stdout.contains("PriorityClassNotFound")
            }
            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: urgent}\nvalue: 1000\n").status == 0)
            try await waitUntil("the binding's priority", seconds: 30, every: .milliseconds(100)) {
                try await kubectl.run(["get", "rb", "held-deployment", "-o", "jsonpath={.spec.schedulePriority.priority}"]).stdout == "1000"
            }
            let refused = try await kubectl.run(["apply", "-f", "-"], stdin: prioritized.replacingOccurrences(of: "KubePriorityClass", with: "FederatedPriorityClass"))
            #expect(refused.status != 0 && refused.stderr.contains("priorityClassSource"), "\(refused.combined)")
        } catch {
            Issue.record("\(error)")
        }
        await fixture.stop()
    }

    @Test func aLazyPolicyChangeWaitsForTheTemplatesNextChange() async throws {
        let fixture = try await FederationFixture.startPair()
        let kubectl = fixture.kubectl
        func manifest(image: String, cluster: String) -> String {
            Self.manifest(image: image, suspension: nil)
                .replacingOccurrences(of: "clusterNames: [edge-1]}}", with: "clusterNames: [\(cluster)]}}\n  activationPreference: Lazy")
        }
        func placedOn() async throws -> String {
            try await kubectl.run(["get", "rb", "held-deployment", "-o", "jsonpath={.spec.clusters[*].name}"]).stdout
        }
        do {
            try await fixture.waitForReadyClusters()
            let applied = try await kubectl.run(["apply", "-f", "-"], stdin: manifest(image: "nginx:1", cluster: "edge-1"))
            #expect(applied.status == 0 && !applied.stderr.contains("activationPreference"), "\(applied.combined)")
            try await waitUntil("placed on edge-1", seconds: 30, every: .milliseconds(100)) { try await placedOn() == "edge-1" }

            // The policy alone changes: nothing moves.
            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: manifest(image: "nginx:1", cluster: "edge-2")).status == 0)
            try await Task.sleep(for: .seconds(2))
            #expect(try await placedOn() == "edge-1")

            // The template changes: the policy's current rules apply.
            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: manifest(image: "nginx:2", cluster: "edge-2")).status == 0)
            try await waitUntil("placed on edge-2", seconds: 30, every: .milliseconds(100)) { try await placedOn() == "edge-2" }
        } catch {
            Issue.record("\(error)")
        }
        await fixture.stop()
    }
}
}
