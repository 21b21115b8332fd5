import Foundation
import FlotillaTestSupport
import Testing

/// Pull mode as an operator runs it: `flotilla serve`, a site (`flotilla member`) and `flotilla agent` beside it,
/// driven with kubectl. The control plane is never given the site's address or credentials.
@Suite struct PullAgentProcessTests {
    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: default}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: nginx:1}]}
        ---
        apiVersion: policy.karmada.io/v1alpha1
        kind: PropagationPolicy
        metadata: {name: web, namespace: default}
        spec:
          resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
          placement:
            clusterAffinity: {clusterNames: [edge-1]}
        """

    @Test func anAgentProcessRunsAPullClusterAndStopsCleanlyOnSIGTERM() async throws {
        let flotilla = ServeLifecycleTests.flotilla
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-agent-\(UUID().uuidString)").path
        let member = try BackgroundCommand(flotilla, ["member", "--data-dir", "\(dir)/sites", "--sites", "1", "--startup-delay", "0",
                                                      "--log-level", "warning"])
        let serve = try BackgroundCommand(flotilla, ["serve", "--data-dir", "\(dir)/cp", "--port", "0", "--cluster-status-interval", "0.5",
                                                     "--cluster-monitor-grace-period", "3", "--log-level", "warning"])
        var agent: BackgroundCommand?
        try await withCleanup({
            let up = await member.waitFor("site edge-1 listening")
            let serving = await serve.waitFor("listening on")
            #expect(up && serving, "\(member.text) \(serve.text)")
            // A name the control plane would refuse ends the agent at once, with the reason.
            let refused = try await ProcessRunner.run(flotilla, ["agent", "--kubeconfig", "\(dir)/sites/edge-1.kubeconfig",
                "--control-plane-kubeconfig", "\(dir)/cp/admin.kubeconfig", "--cluster-name", "Edge_1"])
            #expect(refused.status == 1 && refused.combined.contains("cannot register Edge_1"), "\(refused.combined)")

            let started = try BackgroundCommand(flotilla, ["agent", "--kubeconfig", "\(dir)/sites/edge-1.kubeconfig",
                "--control-plane-kubeconfig", "\(dir)/cp/admin.kubeconfig", "--cluster-name", "edge-1", "--region", "eu",
                "--label", "tier=edge", "--lease-interval", "0.5", "--status-interval", "0.5"])
            agent = started
            #expect(await started.waitFor("agent for cluster/edge-1 registered (Pull)"), "\(started.text)")

            let kubectl = try Kubectl(version: "1.33", kubeconfig: "\(dir)/cp/admin.kubeconfig")
            let site = try Kubectl(version: "1.33", kubeconfig: "\(dir)/sites/edge-1.kubeconfig")
            try await waitUntil("kubectl shows the Pull cluster Ready", seconds: 30, every: .milliseconds(250)) {
                let table = try await kubectl.run(["get", "clusters", "--no-headers"]).stdout
                return table.contains("edge-1") && table.contains("Pull") && table.contains("True")
            }
            let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.deployment)
            #expect(applied.status == 0, "\(applied.combined)")
            try await waitUntil("the Deployment Ready on the site", seconds: 60, every: .milliseconds(250)) {
                try await site.run(["get", "deployment", "web", "-o", "jsonpath={.status.readyReplicas}"]).stdout == "2"
            }

            // SIGTERM: the agent stops at once and cleanly; the control plane then marks the cluster Unknown, and
            // what runs on the site stays.
            started.process.terminate()
            let deadline = ContinuousClock.now + .seconds(10)
            while started.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!started.process.isRunning && started.process.terminationStatus == 0, "\(started.text)")
            #expect(started.text.contains("stopped"))
            try await waitUntil("Ready=Unknown once the lease is silent", seconds: 20, every: .milliseconds(250)) {
                try await kubectl.run(["get", "cluster", "edge-1", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"]).stdout == "Unknown"
            }
            let replicas = try await site.run(["get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"]).stdout
            #expect(replicas == "2")
        }, cleanup: {
            agent?.stop()
            serve.stop()
            member.stop()
            try? FileManager.default.removeItem(atPath: dir)
        })
    }
}
