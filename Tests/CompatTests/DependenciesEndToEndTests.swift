import EdgeClusterSim
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// `propagateDeps` and `preemption` as a user drives them with kubectl: the ConfigMaps and Secrets a Deployment's
/// pod template refers to follow it to its clusters (and away from them), one that is created later follows then;
/// a claimed Deployment stays with its policy until a higher-priority policy with `preemption: Always` takes it.
extension ProcessHeavyEndToEndTests {
    @Suite(.serialized) struct DependenciesEndToEndTests {
        static func workload(cluster: String) -> String {
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: default}
            data: {mode: arena}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: keys, namespace: default}
            stringData: {token: s3cr3t}
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: runner, namespace: default}
            ---
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata: {name: data, namespace: default}
            spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: app, namespace: default}
            spec:
              replicas: 1
              selector: {matchLabels: {app: app}}
              template:
                metadata: {labels: {app: app}}
                spec:
                  serviceAccountName: runner
                  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
                  containers:
                  - name: c
                    image: nginx:1
                    resources: {requests: {cpu: 10m}}
                    envFrom: [{configMapRef: {name: settings}}, {configMapRef: {name: later}}]
                    env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: keys, key: token}}}]
            ---
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: app, namespace: default}
            spec:
              propagateDeps: true
              resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: app}]
              placement: {clusterAffinity: {clusterNames: [\(cluster)]}}
            """
        }

        static func configMap(_ name: String) -> String {
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \(name), namespace: default}\ndata: {a: b}\n"
        }

        static func exists(_ member: KubeClient, _ kind: ResourceDescriptor, _ name: String) async -> Bool {
            (try? await member.get(kind, namespace: "default", name: name)) != nil
        }

        @Test func dependenciesFollowTheWorkload() async throws {
            let fixture = try await FederationFixture.startPair()
            let kubectl = fixture.kubectl, edge1 = fixture.members["edge-1"]!, edge2 = fixture.members["edge-2"]!
            do {
                try await fixture.waitForReadyClusters()
                let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.workload(cluster: "edge-1"))
                #expect(applied.status == 0 && applied.stderr.isEmpty, "\(applied.combined)")
                try await waitUntil("the ConfigMap and Secret on edge-1", seconds: 30, every: .milliseconds(100)) {
                    let configMap = await Self.exists(edge1, ConfigMap.descriptor, "settings")
                    let secret = await Self.exists(edge1, Secret.descriptor, "keys")
                    return configMap && secret
                }
                #expect(await Self.exists(edge2, ConfigMap.descriptor, "settings") == false)
                // The ServiceAccount and the claim follow too; the site binds the claim and the control plane's copy
                // shows it bound (the built-in status aggregation).
                try await waitUntil("the ServiceAccount and the bound claim on edge-1", seconds: 30, every: .milliseconds(100)) {
                    let account = await Self.exists(edge1, ServiceAccount.descriptor, "runner")
                    let claim = try? await edge1.get(PersistentVolumeClaim.descriptor, namespace: "default", name: "data")
                    return account && claim?["status"]?["phase"]?.stringValue == "Bound"
                }
                try await waitUntil("the control plane's claim Bound", seconds: 30, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "pvc", "data", "-o", "jsonpath={.status.phase}"]).stdout == "Bound"
                }
                let requiredBy = try await kubectl.run(["get", "resourcebinding", "settings-configmap", "-o",
                    "jsonpath={.spec.requiredBy[0].name}:{.spec.requiredBy[0].clusters[0].name}"]).stdout
                #expect(requiredBy == "app-deployment:edge-1")
                // The missing one is an event on the binding that needs it, and follows once it exists.
                try await waitUntil("the DependencyNotFound event", seconds: 30, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "events", "--field-selector", "reason=DependencyNotFound", "-o", "name"]).stdout.isEmpty == false
                }
                // (kubectl 1.33's typed `create` sends protobuf, which Flotilla does not serve: apply a manifest.)
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.configMap("later")).status == 0)
                try await waitUntil("the later ConfigMap on edge-1", seconds: 30, every: .milliseconds(100)) {
                    await Self.exists(edge1, ConfigMap.descriptor, "later")
                }

                // The workload moves: its dependencies move with it.
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.workload(cluster: "edge-2")).status == 0)
                try await waitUntil("the dependencies on edge-2 and gone from edge-1", seconds: 30, every: .milliseconds(100)) {
                    let there = await Self.exists(edge2, ConfigMap.descriptor, "settings")
                    let gone = await Self.exists(edge1, ConfigMap.descriptor, "settings") == false
                    return there && gone
                }

                // No policy: the attached bindings and the copies go.
                #expect(try await kubectl.run(["delete", "propagationpolicy", "app"]).status == 0)
                try await waitUntil("the dependencies withdrawn", seconds: 30, every: .milliseconds(100)) {
                    let secret = await Self.exists(edge2, Secret.descriptor, "keys")
                    let binding = try await kubectl.run(["get", "resourcebinding", "keys-secret", "--ignore-not-found", "-o", "name"]).stdout
                    return !secret && binding.isEmpty
                }
                try await fixture.stop()
            } catch {
                try await fixture.stop()
                throw error
            }
        }

        static func policy(_ name: String, priority: Int, preemption: String, cluster: String) -> String {
            """
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: \(name), namespace: default}
            spec:
              priority: \(priority)
              preemption: \(preemption)
              resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: board}]
              placement: {clusterAffinity: {clusterNames: [\(cluster)]}}
            """
        }

        @Test func aHigherPriorityPolicyTakesAClaimOnlyWithPreemption() async throws {
            let fixture = try await FederationFixture.startPair()
            let kubectl = fixture.kubectl
            do {
                try await fixture.waitForReadyClusters()
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.configMap("board")).status == 0)
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.policy("low", priority: 1, preemption: "Never", cluster: "edge-1")).status == 0)
                try await waitUntil("the low policy's claim", seconds: 30, every: .milliseconds(100)) {
                    try await kubectl.run(["get", "resourcebinding", "board-configmap", "-o", "jsonpath={.spec.clusters[0].name}"]).stdout == "edge-1"
                }
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.policy("high", priority: 5, preemption: "Never", cluster: "edge-2")).status == 0)
                try await Task.sleep(for: .seconds(2))
                #expect(try await kubectl.run(["get", "configmap", "board", "-o", "jsonpath={.metadata.labels.propagationpolicy\\.karmada\\.io/name}"]).stdout == "low")
                #expect(try await kubectl.run(["get", "resourcebinding", "board-configmap", "-o", "jsonpath={.spec.clusters[0].name}"]).stdout == "edge-1")

                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.policy("high", priority: 5, preemption: "Always", cluster: "edge-2")).status == 0)
                try await waitUntil("the high policy preempts", seconds: 30, every: .milliseconds(100)) {
                    try await kubectl.run(["get", "resourcebinding", "board-configmap", "-o", "jsonpath={.spec.clusters[0].name}"]).stdout == "edge-2"
                }
                #expect(try await kubectl.run(["get", "configmap", "board", "-o", "jsonpath={.metadata.labels.propagationpolicy\\.karmada\\.io/name}"]).stdout == "high")
                try await waitUntil("the PreemptPolicySucceed event", seconds: 30, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "events", "--field-selector", "reason=PreemptPolicySucceed", "-o", "name"]).stdout.isEmpty == false
                }
                try await fixture.stop()
            } catch {
                try await fixture.stop()
                throw error
            }
        }

        static func namespace(team: String) -> String {
            """
            apiVersion: v1
            kind: Namespace
            metadata: {name: arena-ns, labels: {team: \(team)}}
            ---
            apiVersion: policy.karmada.io/v1alpha1
            kind: ClusterPropagationPolicy
            metadata: {name: arena-ns}
            spec:
              resourceSelectors: [{apiVersion: v1, kind: Namespace, name: arena-ns}]
              placement: {clusterAffinity: {clusterNames: [edge-2]}}
            """
        }

        @Test func aClusterPolicyPropagatesANamespaceThroughAClusterResourceBinding() async throws {
            let fixture = try await FederationFixture.startPair()
            let kubectl = fixture.kubectl, edge1 = fixture.members["edge-1"]!, edge2 = fixture.members["edge-2"]!
            func team(_ member: KubeClient) async -> String? {
                (try? await member.get(Namespace.descriptor, namespace: nil, name: "arena-ns"))?.labels["team"]
            }
            do {
                try await fixture.waitForReadyClusters()
                let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.namespace(team: "games"))
                #expect(applied.status == 0 && applied.stderr.isEmpty, "\(applied.combined)")
                try await waitUntil("the namespace on edge-2", seconds: 30, every: .milliseconds(100)) { await team(edge2) == "games" }
                #expect(await team(edge1) == nil)
                #expect(try await kubectl.run(["get", "clusterresourcebinding", "arena-ns-namespace", "-o", "jsonpath={.spec.clusters[0].name}"]).stdout == "edge-2")
                #expect(try await kubectl.run(["get", "namespace", "arena-ns", "-o",
                    "jsonpath={.metadata.labels.clusterpropagationpolicy\\.karmada\\.io/name}"]).stdout == "arena-ns")

                // A change to the template reaches the member.
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.namespace(team: "ops")).status == 0)
                try await waitUntil("the new label on edge-2", seconds: 30, every: .milliseconds(100)) { await team(edge2) == "ops" }

                // A PropagationPolicy cannot select a cluster-scoped kind, and says so.
                let warned = try await kubectl.run(["apply", "-f", "-"], stdin: """
                    apiVersion: policy.karmada.io/v1alpha1
                    kind: PropagationPolicy
                    metadata: {name: namespaces, namespace: default}
                    spec:
                      resourceSelectors: [{apiVersion: v1, kind: Namespace}]
                    """)
                #expect(warned.status == 0 && warned.stderr.contains("cluster-scoped"), "\(warned.combined)")

                // Without the policy the binding goes; the namespace stays on the member (it may hold others' objects).
                #expect(try await kubectl.run(["delete", "clusterpropagationpolicy", "arena-ns"]).status == 0)
                try await waitUntil("the ClusterResourceBinding gone", seconds: 30, every: .milliseconds(100)) {
                    try await kubectl.run(["get", "clusterresourcebinding", "arena-ns-namespace", "--ignore-not-found", "-o", "name"]).stdout.isEmpty
                }
                #expect(await team(edge2) == "ops")
                try await fixture.stop()
            } catch {
                try await fixture.stop()
                throw error
            }
        }
    }
}
