import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// The federation as a user drives it: a control plane and three simulated sites, `flotilla join`, then kubectl.
@Suite(.serialized) struct FederationEndToEndTests {
    static let workload = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: arena, namespace: default}
        spec:
          replicas: 6
          selector: {matchLabels: {app: arena}}
          template:
            metadata: {labels: {app: arena}}
            spec:
              containers:
              - {name: server, image: "flotilla/echo:1", resources: {requests: {cpu: 100m, memory: 64Mi}}}
        ---
        apiVersion: policy.karmada.io/v1alpha1
        kind: PropagationPolicy
        metadata: {name: arena, namespace: default}
        spec:
          resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: arena}]
          placement:
            replicaScheduling:
              replicaSchedulingType: Divided
              replicaDivisionPreference: Weighted
              weightPreference:
                staticWeightList:
                - {targetCluster: {clusterNames: [edge-eu-1]}, weight: 2}
                - {targetCluster: {clusterNames: [edge-eu-2]}, weight: 1}
                - {targetCluster: {clusterNames: [edge-us-1]}, weight: 3}
        """

    static let euImage = """
        apiVersion: policy.karmada.io/v1alpha1
        kind: OverridePolicy
        metadata: {name: arena-eu-image, namespace: default}
        spec:
          resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: arena}]
          overrideRules:
          - targetCluster:
              fieldSelector:
                matchExpressions: [{key: region, operator: In, values: [eu]}]
            overriders:
              imageOverrider: [{component: Tag, operator: replace, value: "2"}]
        """

    static func waitFor(_ what: String, seconds: Double = 30, _ condition: () async throws -> Bool) async throws {
        try await waitUntil(what, seconds: seconds, every: .milliseconds(100), condition)
    }

    /// Static weights 2:1:3 over 6 replicas (Webster: us, eu-1, eu-2 — fewer seats wins the eu-2/us tie — us,
    /// eu-1, us) → edge-eu-1 2, edge-eu-2 1, edge-us-1 3.
    @Test func joinApplyOverrideAndCleanUp() async throws {
        let fixture = try await FederationFixture.start(sites: [
            FederationFixture.site("edge-eu-1", region: "eu", nodes: 2), FederationFixture.site("edge-eu-2", region: "eu", nodes: 2),
            FederationFixture.site("edge-us-1", region: "us", nodes: 2)],
            kubelet: KubeletConfiguration(startupDelay: .milliseconds(100), jitter: .milliseconds(50)))
        let kubectl = fixture.kubectl, members = fixture.members
        do {
            try await fixture.waitForReadyClusters()

            let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.workload)
            #expect(applied.status == 0, "\(applied.combined)")
            let rollout = try await kubectl.run(["rollout", "status", "deployment/arena", "--timeout=60s"])
            #expect(rollout.status == 0, "\(rollout.combined)")
            let expected = ["edge-eu-1": 2, "edge-eu-2": 1, "edge-us-1": 3]
            for (name, replicas) in expected {
                let deployment = try await members[name]!.get(Deployment.descriptor, namespace: "default", name: "arena")
                #expect(deployment["spec"]?["replicas"]?.int64Value == Int64(replicas), "\(name)")
                #expect(deployment["status"]?["readyReplicas"]?.int64Value == Int64(replicas), "\(name)")
                #expect(deployment.labels["karmada.io/managed"] == "true")
            }
            let summed = try await kubectl.run(["get", "deployment", "arena", "-o", "jsonpath={.status.readyReplicas}/{.status.replicas}"])
            #expect(summed.stdout == "6/6")
            let binding = try await kubectl.run(["get", "rb", "arena-deployment", "-o", "jsonpath={.spec.clusters}"])
            #expect(binding.stdout.contains(#"{"name":"edge-us-1","replicas":3}"#), "\(binding.stdout)")

            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.euImage).status == 0)
            try await Self.waitFor("the eu-only image override") {
                var images: [String: String] = [:]
                for (name, member) in members {
                    let deployment = try await member.get(Deployment.descriptor, namespace: "default", name: "arena")
                    images[name] = deployment.value(at: ["spec", "template", "spec", "containers"])?.arrayValue?.first?["image"]?.stringValue
                }
                return images == ["edge-eu-1": "flotilla/echo:2", "edge-eu-2": "flotilla/echo:2", "edge-us-1": "flotilla/echo:1"]
            }

            #expect(try await kubectl.run(["delete", "-f", "-"], stdin: Self.workload).status == 0)
            try await Self.waitFor("members cleaned") {
                for member in members.values {
                    if try await !member.list(Deployment.descriptor, namespace: "default", options: .everything).items.isEmpty { return false }
                }
                return true
            }
            // The Works go once their finalizer is released, just after the member objects are deleted.
            try await Self.waitFor("works gone") {
                try await kubectl.run(["get", "works", "-A", "-o", "name"]).stdout.isEmpty
            }
        } catch {
            Issue.record("\(error)")
        }
        await fixture.stop()
    }
}
