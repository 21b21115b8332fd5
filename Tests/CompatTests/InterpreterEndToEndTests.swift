import EdgeClusterSim
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// A ResourceInterpreterCustomization driving the federation, as a user writes one: its scripts decide a
/// Deployment's replicas, what its members keep of their own, its health and its aggregated status; a script that
/// does not compile is refused.
extension ProcessHeavyEndToEndTests {
    @Suite(.serialized) struct InterpreterEndToEndTests {
        static let customization = """
        apiVersion: config.karmada.io/v1alpha1
        kind: ResourceInterpreterCustomization
        metadata: {name: deployments}
        spec:
          target: {apiVersion: apps/v1, kind: Deployment}
          customizations:
            replicaResource:
              luaScript: |
                local kube = require("kube")
                function GetReplicas(obj)
                  if obj.metadata.annotations ~= nil and obj.metadata.annotations["games.flotilla.io/hang"] == "true" then
                    while true do end
                  end
                  local extra = 0
                  if obj.metadata.annotations ~= nil and obj.metadata.annotations["games.flotilla.io/spare"] ~= nil then
                    extra = tonumber(obj.metadata.annotations["games.flotilla.io/spare"])
                  end
                  return (obj.spec.replicas or 1) + extra, kube.accuratePodRequirements(obj.spec.template)
                end
            retention:
              luaScript: |
                function Retain(desiredObj, observedObj)
                  if observedObj.metadata.labels ~= nil and observedObj.metadata.labels["member-owned"] ~= nil then
                    desiredObj.metadata.labels["member-owned"] = observedObj.metadata.labels["member-owned"]
                  end
                  return desiredObj
                end
            healthInterpretation:
              luaScript: |
                function InterpretHealth(observedObj)
                  if observedObj.metadata.labels ~= nil and observedObj.metadata.labels["maintenance"] == "true" then
                    return false
                  end
                  return (observedObj.status ~= nil and (observedObj.status.readyReplicas or 0) > 0)
                end
            statusAggregation:
              luaScript: |
                function AggregateStatus(desiredObj, statusItems)
                  local ready, names = 0, {}
                  for i = 1, #statusItems do
                    local status = statusItems[i].status or {}
                    ready = ready + (status.readyReplicas or 0)
                    if statusItems[i].health == "Healthy" then table.insert(names, statusItems[i].clusterName) end
                  end
                  desiredObj.status = {readyReplicas = ready, replicas = ready,
                    conditions = {{type = "Available", status = "True", reason = "HealthyClusters", message = table.concat(names, ",")}}}
                  return desiredObj
                end
        """

        static func workload(image: String, name: String = "arena", hang: Bool = false) -> String {
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: \(name)
              namespace: default
              annotations: {games.flotilla.io/spare: "1", games.flotilla.io/hang: "\(hang)"}
            spec:
              replicas: 2
              selector: {matchLabels: {app: arena}}
              template:
                metadata: {labels: {app: arena}}
                spec: {containers: [{name: c, image: "\(image)", resources: {requests: {cpu: 10m}}}]}
            ---
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: \(name), namespace: default}
            spec:
              resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: \(name)}]
              placement:
                clusterAffinity: {clusterNames: [edge-1, edge-2]}
                replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Aggregated}
            """
        }

        @Test func aCustomizationsScriptsRunInTheFederation() async throws {
            let fixture = try await FederationFixture.startPair()
            let kubectl = fixture.kubectl
            do {
                try await fixture.waitForReadyClusters()
                // A script that does not compile is refused, naming the field and the line.
                let broken = Self.customization.replacingOccurrences(of: "function Retain(desiredObj, observedObj)",
                                                                     with: "function Retain(desiredObj, observedObj")
                let refused = try await kubectl.run(["apply", "-f", "-"], stdin: broken)
                #expect(refused.status != 0)
                #expect(refused.stderr.contains("spec.customizations.retention.luaScript"), "\(refused.stderr)")
                #expect(refused.stderr.contains("does not compile"), "\(refused.stderr)")

                let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.customization)
                #expect(applied.status == 0, "\(applied.combined)")
                let workload = try await kubectl.run(["apply", "-f", "-"], stdin: Self.workload(image: "nginx:1"))
                #expect(workload.status == 0, "\(workload.combined)")

                // GetReplicas: 2 replicas plus the one spare the annotation asks for.
                try await waitUntil("the binding's replicas from GetReplicas", seconds: 30, every: .milliseconds(100)) {
                    try await kubectl.run(["get", "resourcebinding", "arena-deployment", "-o", "jsonpath={.spec.replicas}"]).stdout == "3"
                }
                // AggregateStatus: the template's status lists the healthy clusters (InterpretHealth) and the ready count.
                try await waitUntil("the aggregated status", seconds: 30, every: .milliseconds(200)) {
                    let status = try await kubectl.run(["get", "deployment", "arena", "-o", "jsonpath={.status.readyReplicas}/{.status.conditions[0].message}"]).stdout
                    return status.hasPrefix("3/") && status.contains("edge-")
                }
                let placed = try await kubectl.run(["get", "resourcebinding", "arena-deployment", "-o", "jsonpath={.spec.clusters[0].name}"]).stdout
                let member = fixture.members[placed]!

                // InterpretHealth: the member's label makes that cluster Unhealthy in the binding.
                _ = try await member.mergePatch(Deployment.descriptor, namespace: "default", name: "arena",
                                                ["metadata": ["labels": ["maintenance": "true", "member-owned": "ops"]]])
                try await waitUntil("the cluster reported Unhealthy", seconds: 30, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "resourcebinding", "arena-deployment", "-o",
                        "jsonpath={.status.aggregatedStatus[?(@.clusterName==\"\(placed)\")].health}"]).stdout == "Unhealthy"
                }

                // Retain: a template change reaches the member and keeps the label the member owns.
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.workload(image: "nginx:2")).status == 0)
                try await waitUntil("the new image on the member", seconds: 30, every: .milliseconds(200)) {
                    let object = try await member.get(Deployment.descriptor, namespace: "default", name: "arena")
                    return object.value(at: ["spec", "template", "spec", "containers"])?.arrayValue?.first?["image"]?.stringValue == "nginx:2"
                }
                let object = try await member.get(Deployment.descriptor, namespace: "default", name: "arena")
                #expect(object.labels["member-owned"] == "ops")
                #expect(object.labels["maintenance"] == nil)

                // A script that never returns stops at its time limit: that template waits with a Warning event and
                // the others go on; fixed, it binds.
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.workload(image: "nginx:1", name: "stuck", hang: true)).status == 0)
                try await waitUntil("the InterpretReplicaFailed event", seconds: 30, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "events", "--field-selector", "reason=InterpretReplicaFailed,involvedObject.name=stuck",
                                           "-o", "jsonpath={.items[0].message}"]).stdout.contains("time limit")
                }
                #expect(try await kubectl.run(["get", "resourcebinding", "stuck-deployment", "--ignore-not-found", "-o", "name"]).stdout.isEmpty)
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.workload(image: "nginx:3")).status == 0)
                try await waitUntil("the other workload still follows its template", seconds: 30, every: .milliseconds(200)) {
                    let object = try await member.get(Deployment.descriptor, namespace: "default", name: "arena")
                    return object.value(at: ["spec", "template", "spec", "containers"])?.arrayValue?.first?["image"]?.stringValue == "nginx:3"
                }
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.workload(image: "nginx:1", name: "stuck", hang: false)).status == 0)
                try await waitUntil("the fixed template bound", seconds: 30, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "resourcebinding", "stuck-deployment", "-o", "jsonpath={.spec.replicas}"]).stdout == "3"
                }
                try await fixture.stop()
            } catch {
                try await fixture.stop()
                throw error
            }
        }
    }
}
