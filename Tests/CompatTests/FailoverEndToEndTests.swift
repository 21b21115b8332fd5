import EdgeClusterSim
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// Cluster failover as a user drives it, through the real commands: `flotilla member` (three sites and the fault
/// endpoint), `flotilla serve` with fast health checks, `flotilla join`, kubectl, and curl to cut a site's power.
extension ProcessHeavyEndToEndTests {
@Suite(.serialized) struct FailoverEndToEndTests {
    static let manifests = """
        apiVersion: policy.karmada.io/v1alpha1
        kind: ClusterTaintPolicy
        metadata: {name: not-ready-evicts}
        spec:
          addOnConditions: [{conditionType: Ready, operator: NotIn, statusValues: ["True"]}]
          removeOnConditions: [{conditionType: Ready, operator: In, statusValues: ["True"]}]
          taints: [{key: cluster.karmada.io/not-ready, effect: NoExecute}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: arena, namespace: default}
        spec:
          replicas: 6
          selector: {matchLabels: {app: arena}}
          template:
            metadata: {labels: {app: arena}}
            spec: {containers: [{name: server, image: "flotilla/echo:1", resources: {requests: {cpu: 100m}}}]}
        ---
        apiVersion: policy.karmada.io/v1alpha1
        kind: PropagationPolicy
        metadata: {name: arena, namespace: default}
        spec:
          resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: arena}]
          placement:
            clusterTolerations: [{key: cluster.karmada.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 3}]
            replicaScheduling:
              replicaSchedulingType: Divided
              replicaDivisionPreference: Weighted
              weightPreference: {dynamicWeight: AvailableReplicas}
          failover: {cluster: {purgeMode: Directly}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: solo, namespace: default}
        spec:
          replicas: 1
          selector: {matchLabels: {app: solo}}
          template:
            metadata: {labels: {app: solo}}
            spec: {containers: [{name: server, image: "flotilla/echo:1"}]}
        ---
        apiVersion: policy.karmada.io/v1alpha1
        kind: PropagationPolicy
        metadata: {name: solo, namespace: default}
        spec:
          resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: solo}]
          placement:
            clusterAffinity: {clusterNames: [edge-3]}
            clusterTolerations: [{key: cluster.karmada.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 1}]
          failover: {cluster: {purgeMode: Directly}}
        """

    struct Setup {
        let dir: String
        let member: BackgroundCommand
        let serve: BackgroundCommand
        let admin: String
        let kubectl: Kubectl

        func member(_ site: String) throws -> Kubectl { try Kubectl(version: "1.33", kubeconfig: "\(dir)/sites/\(site).kubeconfig") }

        func stop() {
            serve.stop()
            member.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    static func port(_ output: String, after prefix: String) -> String? {
        output.range(of: prefix + #"127\.0\.0\.1:\d+"#, options: .regularExpression).map { String(output[$0].split(separator: ":").last ?? "") }
    }

    static func start() async throws -> Setup {
        let flotilla = ServeLifecycleTests.flotilla
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-failover-\(UUID().uuidString)").path
        let member = try BackgroundCommand(flotilla, ["member", "--data-dir", "\(dir)/sites", "--sites", "3", "--startup-delay", "0",
                                                      "--log-level", "warning"])
        let serve = try BackgroundCommand(flotilla, ["serve", "--data-dir", "\(dir)/cp", "--port", "0", "--cluster-status-interval", "1",
                                                     "--cluster-failure-threshold", "2", "--cluster-success-threshold", "2", "--log-level", "warning"])
        guard await member.waitFor("site edge-3 listening"), await serve.waitFor("listening on"),
              let admin = port(member.text, after: "member admin listening on ") else {
            serve.stop(); member.stop()
            throw FederationFixture.JoinFailed(description: "did not start: \(member.text) \(serve.text)")
        }
        for site in ["edge-1", "edge-2", "edge-3"] {
            let joined = try await ProcessRunner.run(flotilla, ["join", site, "--kubeconfig", "\(dir)/sites/\(site).kubeconfig",
                                                                "--control-plane-kubeconfig", "\(dir)/cp/admin.kubeconfig"])
            guard joined.status == 0 else {
                serve.stop(); member.stop()
                throw FederationFixture.JoinFailed(description: joined.combined)
            }
        }
        return Setup(dir: dir, member: member, serve: serve, admin: admin, kubectl: try Kubectl(version: "1.33", kubeconfig: "\(dir)/cp/admin.kubeconfig"))
    }

    static func readyOn(_ setup: Setup, _ site: String, _ name: String) async throws -> Int {
        let result = try await setup.member(site).run(["get", "deployment", name, "-n", "default", "--request-timeout=3s",
                                                       "-o", "jsonpath={.status.readyReplicas}"])
        return result.status == 0 ? Int(result.stdout) ?? 0 : -1
    }

    static func post(_ setup: Setup, _ path: String) async throws -> String {
        try await ProcessRunner.run("/usr/bin/env", ["curl", "-s", "-X", "POST", "http://127.0.0.1:\(setup.admin)\(path)"]).stdout
    }

    /// The issue's interface: edge-3 loses power; its replicas run Ready on edge-1 and edge-2 and the binding no
    /// longer lists it; `solo`, which can run nowhere else, keeps its only copy and says why. After `up` the stale
    /// Deployment on edge-3 is removed, the NoExecute taint is gone, and `solo` still runs there.
    @Test func aDeadSiteIsEvictedAndItsStaleCopyPurgedOnRecovery() async throws {
        let setup = try await Self.start()
        defer { setup.stop() }
        let kubectl = setup.kubectl
        try await waitUntil("3 Ready clusters", seconds: 30, every: .milliseconds(200)) {
            try await kubectl.run(["get", "clusters"]).stdout.components(separatedBy: "\n").filter { $0.contains(" True ") }.count == 3
        }
        let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.manifests)
        #expect(applied.status == 0, "\(applied.combined)")
        for name in ["arena", "solo"] {
            let rollout = try await kubectl.run(["rollout", "status", "deployment/\(name)", "--timeout=60s"])
            #expect(rollout.status == 0, "\(rollout.combined)")
        }
        #expect(try await Self.readyOn(setup, "edge-3", "arena") > 0)

        let cut = ContinuousClock.now
        #expect(try await Self.post(setup, "/sites/edge-3/down").contains("\"state\":\"down\""))
        // Right after the cut edge-3 still serves arena: failover takes detection (2 s) and toleration. Only a look
        // that answered within the detection time can say so (a CI run under load got its answer too late).
        let look = try await kubectl.run(["get", "rb", "arena-deployment", "-o", "jsonpath={.spec.clusters[*].name}"])
        if look.status == 0, ContinuousClock.now - cut < .seconds(2) {
            #expect(look.stdout.contains("edge-3"), "edge-3 still serves arena right after the cut (failover takes detection and toleration)")
        }
        // One kubectl call per look (the binding's targets and what each reports ready), so the measured time is
        // the federation's, not the polling's.
        try await waitUntil("arena's 6 replicas Ready on edge-1 and edge-2", seconds: 30, every: .milliseconds(100)) {
            let seen = try await kubectl.run(["get", "rb", "arena-deployment", "-o",
                "jsonpath={.spec.clusters[*].name}|{range .status.aggregatedStatus[*]}{.clusterName}={.status.readyReplicas} {end}"]).stdout
            let parts = seen.split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].contains("edge-3") else { return false }
            let ready = parts[1].split(separator: " ").filter { !$0.hasPrefix("edge-3") }.compactMap { $0.split(separator: "=").last.flatMap { Int($0) } }
            return ready.reduce(0, +) == 6
        }
        let elapsed = ContinuousClock.now - cut
        print("failover: edge-3's replicas Ready elsewhere \(elapsed) after the power cut (detection 2 s + toleration 3 s included)")
        #expect(elapsed < .seconds(10))
        #expect(try await Self.readyOn(setup, "edge-1", "arena") + Self.readyOn(setup, "edge-2", "arena") == 6, "the members agree")
        let tasks = try await kubectl.run(["get", "rb", "arena-deployment", "-o", "jsonpath={.spec.gracefulEvictionTasks}"]).stdout
        #expect(!tasks.contains("edge-3"), "Directly ends the task at once: \(tasks)")
        // The last copy stays: solo has nowhere else to go.
        try await waitUntil("solo's eviction blocked", seconds: 20, every: .milliseconds(200)) {
            try await kubectl.run(["get", "rb", "solo-deployment", "-o",
                                   #"jsonpath={.status.conditions[?(@.type=="FailoverBlocked")].status}"#]).stdout == "True"
        }
        #expect(try await kubectl.run(["get", "rb", "solo-deployment", "-o", "jsonpath={.spec.clusters[*].name}"]).stdout == "edge-3")
        let events = try await kubectl.run(["get", "events", "-n", "default", "--field-selector", "reason=EvictionBlocked", "-o", "name"])
        #expect(!events.stdout.isEmpty, "\(events.combined)")

        #expect(try await Self.post(setup, "/sites/edge-3/up").contains("\"state\":\"running\""))
        try await waitUntil("the stale arena on edge-3 removed and the NoExecute taint gone", seconds: 60, every: .milliseconds(300)) {
            let taints = try await kubectl.run(["get", "cluster", "edge-3", "-o", "jsonpath={.spec.taints}"]).stdout
            guard !taints.contains("NoExecute") else { return false }
            return try await Self.readyOn(setup, "edge-3", "arena") == -1
        }
        #expect(try await Self.readyOn(setup, "edge-3", "solo") == 1, "the last copy was never deleted")
        // Recovery does not pull replicas back on its own (dynamic division is Steady); a WorkloadRebalancer does, once
        // edge-3 is schedulable again: Ready and without the not-ready NoSchedule taint, which can outlast the NoExecute
        // one on a loaded machine (a rebalance is one fresh decision: made while edge-3 is still tainted, it leaves it out).
        #expect(try await kubectl.run(["get", "rb", "arena-deployment", "-o", "jsonpath={.spec.clusters[*].name}"]).stdout == "edge-1 edge-2")
        try await waitUntil("edge-3 Ready and untainted", seconds: 60, every: .milliseconds(300)) {
            let state = try await kubectl.run(["get", "cluster", "edge-3", "-o",
                "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}|{.spec.taints}"]).stdout
            return state == "True|" || state == "True|[]"
        }
        let rebalance = try await kubectl.run(["apply", "-f", "-"], stdin: """
            apiVersion: apps.karmada.io/v1alpha1
            kind: WorkloadRebalancer
            metadata: {name: back-home}
            spec:
              workloads:
              - {apiVersion: apps/v1, kind: Deployment, namespace: default, name: arena}
              - {apiVersion: apps/v1, kind: Deployment, namespace: default, name: ghost}
            """)
        #expect(rebalance.status == 0, "\(rebalance.combined)")
        // A rebalance reschedules from scratch and waits for the new replicas: 15 s alone on two cores, longer beside
        // other suites (a full local run saw it miss 60 s); the bound says it happens, not how fast (that is
        // `flotilla bench failover`'s).
        try await waitUntil("arena back on edge-3", seconds: 120, every: .milliseconds(300)) {
            try await Self.readyOn(setup, "edge-3", "arena") > 0
        }
        if try await Self.readyOn(setup, "edge-3", "arena") <= 0 {
            // What a miss looked like, for whoever reads the failure.
            let binding = try await kubectl.run(["get", "rb", "arena-deployment", "-o", "json"]).stdout
            let works = try await kubectl.run(["get", "works", "-A", "-l", "resourcebinding.karmada.io/name=arena-deployment", "-o", "json"]).stdout
            let rebalancer = try await kubectl.run(["get", "workloadrebalancer", "back-home", "-o", "json"]).stdout
            let member = try await setup.member("edge-3").run(["get", "deployments", "-A", "-o", "wide"]).combined
            Issue.record("binding: \(binding)\nworks: \(works)\nrebalancer: \(rebalancer)\nedge-3: \(member)")
        }
        let results = try await kubectl.run(["get", "workloadrebalancer", "back-home", "-o", "jsonpath={.status.observedWorkloads[*].result}"]).stdout
        #expect(results == "Successful Failed", "\(results)")

        // cordon / uncordon / taint, as karmadactl has them.
        let flotilla = ServeLifecycleTests.flotilla, cp = ["--control-plane-kubeconfig", "\(setup.dir)/cp/admin.kubeconfig"]
        #expect(try await ProcessRunner.run(flotilla, ["cordon", "edge-1"] + cp).stdout.contains("cluster/edge-1 cordoned"))
        #expect(try await kubectl.run(["get", "cluster", "edge-1", "-o", "jsonpath={.spec.taints[*].key}"]).stdout == "cluster.karmada.io/unschedulable")
        #expect(try await ProcessRunner.run(flotilla, ["uncordon", "edge-1"] + cp).stdout.contains("cluster/edge-1 uncordoned"))
        let bad = try await ProcessRunner.run(flotilla, ["taint", "edge-1", "nonsense"] + cp)
        #expect(bad.status != 0 && bad.stderr.contains("key[=value]:Effect"), "\(bad.combined)")
        let missing = try await ProcessRunner.run(flotilla, ["taint", "nowhere", "a=b:NoSchedule"] + cp)
        #expect(missing.status != 0 && missing.stderr.contains("nowhere"), "\(missing.combined)")
    }
}

/// Application failover: a workload that stays unhealthy on a cluster (its only node drained, so its pod cannot run)
/// moves to the other cluster after the policy's tolerationSeconds; the cluster itself stays healthy.
@Suite(.serialized) struct ApplicationFailoverEndToEndTests {
    static let manifests = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: shaky, namespace: default}
        spec:
          replicas: 2
          selector: {matchLabels: {app: shaky}}
          template:
            metadata: {labels: {app: shaky}}
            spec: {containers: [{name: server, image: "flotilla/echo:1", resources: {requests: {cpu: 100m}}}]}
        ---
        apiVersion: policy.karmada.io/v1alpha1
        kind: PropagationPolicy
        metadata: {name: shaky, namespace: default}
        spec:
          resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: shaky}]
          placement:
            replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}
          failover:
            application:
              decisionConditions: {tolerationSeconds: 2}
              purgeMode: Directly
        """

    @Test func aWorkloadUnhealthyLongerThanItsTolerationMoves() async throws {
        try await FederationFixture.with(sites: [FederationFixture.site("edge-a", region: "eu", nodes: 1),
                                                 FederationFixture.site("edge-b", region: "eu", nodes: 1)],
                                         kubelet: KubeletConfiguration(startupDelay: .milliseconds(100), jitter: .milliseconds(50))) { fixture in
            try await fixture.waitForReadyClusters()
            let kubectl = fixture.kubectl
            let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.manifests)
            #expect(applied.status == 0, "\(applied.combined)")
            let rollout = try await kubectl.run(["rollout", "status", "deployment/shaky", "--timeout=60s"])
            #expect(rollout.status == 0, "\(rollout.combined)")
            // edge-a's only node is drained: its replica cannot run there, the Deployment there stays unavailable.
            let site = try #require(fixture.sites.site(named: "edge-a"))
            _ = try await site.drainNode("edge-a-node-1")
            try await waitUntil("shaky moved off edge-a", seconds: 40, every: .milliseconds(200)) {
                let clusters = try await kubectl.run(["get", "rb", "shaky-deployment", "-o", "jsonpath={.spec.clusters[*].name}"]).stdout
                let ready = try await fixture.members["edge-b"]!.get(Deployment.descriptor, namespace: "default", name: "shaky")["status"]?["readyReplicas"]
                return clusters == "edge-b" && ready?.int64Value == 2
            }
            let task = try await kubectl.run(["get", "rb", "shaky-deployment", "-o",
                                              "jsonpath={.spec.gracefulEvictionTasks[0].fromCluster}/{.spec.gracefulEvictionTasks[0].reason}"])
            #expect(task.stdout == "edge-a/ApplicationFailure", "\(task.combined)")
            // Directly: the old copy is gone from edge-a at once, and the task keeps edge-a out while it lasts.
            try await waitUntil("shaky gone from edge-a", seconds: 20, every: .milliseconds(200)) {
                do throws(APIError) {
                    _ = try await fixture.members["edge-a"]!.get(Deployment.descriptor, namespace: "default", name: "shaky")
                    return false
                } catch {
                    return error.reason == .notFound
                }
            }
        }
    }
}
}
