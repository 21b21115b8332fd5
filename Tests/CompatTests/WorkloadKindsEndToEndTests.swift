import EdgeClusterSim
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// The workload kinds beyond Deployments across the federation: a StatefulSet and a Job divided over two sites by
/// the built-in interpreter, run there, and summed up again in the templates' status; a DaemonSet on both.
extension ProcessHeavyEndToEndTests {
    @Suite(.serialized) struct WorkloadKindsEndToEndTests {
        static let manifests = """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: ledger, namespace: default}
            spec:
              replicas: 4
              serviceName: ledger
              selector: {matchLabels: {app: ledger}}
              template:
                metadata: {labels: {app: ledger}}
                spec: {containers: [{name: db, image: "postgres:16", resources: {requests: {cpu: 10m}}}]}
            ---
            apiVersion: batch/v1
            kind: Job
            metadata: {name: replay, namespace: default}
            spec:
              parallelism: 2
              completions: 2
              template:
                metadata: {annotations: {sim.flotilla.io/run-seconds: "0.3"}}
                spec:
                  restartPolicy: Never
                  containers: [{name: replay, image: "busybox:1", resources: {requests: {cpu: 10m}}}]
            ---
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: telemetry, namespace: default}
            spec:
              selector: {matchLabels: {app: telemetry}}
              template:
                metadata: {labels: {app: telemetry}}
                spec: {containers: [{name: agent, image: "otel:1"}]}
            ---
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: workloads, namespace: default}
            spec:
              resourceSelectors:
              - {apiVersion: apps/v1, kind: StatefulSet, name: ledger}
              - {apiVersion: batch/v1, kind: Job, name: replay}
              placement:
                clusterAffinity: {clusterNames: [edge-1, edge-2]}
                replicaScheduling:
                  replicaSchedulingType: Divided
                  replicaDivisionPreference: Weighted
                  weightPreference:
                    staticWeightList:
                    - {targetCluster: {clusterNames: [edge-1]}, weight: 1}
                    - {targetCluster: {clusterNames: [edge-2]}, weight: 1}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: "system:ledger-reader"}
            rules: [{apiGroups: [apps], resources: [statefulsets], verbs: [get, list, watch]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: ledger-readers, namespace: default}
            subjects: [{kind: Group, name: ledger-readers, apiGroup: rbac.authorization.k8s.io}]
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:ledger-reader"}
            ---
            apiVersion: policy.karmada.io/v1alpha1
            kind: ClusterPropagationPolicy
            metadata: {name: ledger-rbac}
            spec:
              resourceSelectors:
              - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, name: "system:ledger-reader"}
              - {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, namespace: default, name: ledger-readers}
              placement: {clusterAffinity: {clusterNames: [edge-1, edge-2]}}
            ---
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: daemons, namespace: default}
            spec:
              resourceSelectors: [{apiVersion: apps/v1, kind: DaemonSet, name: telemetry}]
              placement: {clusterAffinity: {clusterNames: [edge-1, edge-2]}}
            """

        @Test func statefulSetsJobsAndDaemonSetsRunOnTheSitesAndReportBack() async throws {
            let fixture = try await FederationFixture.startPair(nodes: (1, 2))
            let kubectl = fixture.kubectl
            do {
                try await fixture.waitForReadyClusters()
                let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.manifests)
                #expect(applied.status == 0, "\(applied.combined)")
                // The RBAC objects are warned as granting nothing on the control plane (it authorizes by token group).
                // (kubectl prints the same warning once.) Nothing else is warned.
                let warnings = applied.stderr.split(separator: "\n").filter { $0.hasPrefix("Warning") }
                #expect(warnings.count == 1 && warnings[0].contains("grants nothing here"), "\(applied.stderr)")

                // Divided 2 + 2; each site runs its pods in order; the template's status sums theirs.
                try await waitUntil("the StatefulSet's ready replicas summed", seconds: 40, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "statefulset", "ledger", "-o", "jsonpath={.status.readyReplicas}"]).stdout == "4"
                }
                for member in fixture.members.values {
                    let copy = try await member.get(StatefulSet.descriptor, namespace: "default", name: "ledger")
                    #expect(copy.value(at: ["spec", "replicas"]) == 2)
                    #expect(try await member.get(Pod.descriptor, namespace: "default", name: "ledger-1").name == "ledger-1")
                }
                // Parallelism 1 on each site; both copies complete, so the template does.
                try await waitUntil("the Job complete in both clusters", seconds: 40, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "job", "replay", "-o", "jsonpath={.status.conditions[0].type}"]).stdout == "Complete"
                }
                let succeeded = try await kubectl.run(["get", "job", "replay", "-o", "jsonpath={.status.succeeded}"]).stdout
                #expect(succeeded == "4", "two completions on each of two sites")
                // Duplicated: one pod per node, three nodes.
                try await waitUntil("the DaemonSet on every node", seconds: 40, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "daemonset", "telemetry", "-o", "jsonpath={.status.numberReady}"]).stdout == "3"
                }
                // A ClusterRole whose name has ':' goes through a ClusterResourceBinding with '.' in its name.
                #expect(try await kubectl.run(["get", "clusterresourcebinding", "system.ledger-reader-clusterrole"]).status == 0)
                try await waitUntil("the RBAC objects on both members", seconds: 30, every: .milliseconds(200)) {
                    for member in fixture.members.values {
                        guard (try? await member.get(ClusterRole.descriptor, namespace: nil, name: "system:ledger-reader")) != nil,
                              (try? await member.get(RoleBinding.descriptor, namespace: "default", name: "ledger-readers")) != nil else { return false }
                    }
                    return true
                }
                let table = try await kubectl.run(["get", "statefulsets,jobs,daemonsets"])
                #expect(table.stdout.contains("4/4") && table.stdout.contains("Complete"), "\(table.stdout)")
            } catch {
                await fixture.stop()
                throw error
            }
            await fixture.stop()
        }
    }
}
