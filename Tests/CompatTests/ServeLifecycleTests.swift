import FlotillaAPI
import Foundation
import Testing

/// `flotilla serve` as a user runs it: one command, stopped by SIGTERM or SIGINT even with a watch open.
@Suite struct ServeLifecycleTests {
    static var flotilla: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flotilla").path
    }

    func startServer(dataDir: String, extra: [String] = []) async throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.flotilla)
        process.arguments = ["serve", "--data-dir", dataDir, "--port", "0", "--log-level", "warning"] + extra
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = OutputBuffer()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { text.append(String(decoding: data, as: UTF8.self)) }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let range = text.text.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                let port = Int(text.text[range].split(separator: ":").last ?? "") {
                return (process, port)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw ServeDidNotStart(output: text.text)
    }

    struct ServeDidNotStart: Error { var output: String }

    /// `--catalog DIR` loads the offerings at start; a directory with anything else is refused before serving.
    @Test func serveLoadsACatalogDirectory() async throws {
        let kubectl = try #require(KubectlBinaries.binary(for: "1.33"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-catalog-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (server, _) = try await startServer(dataDir: dir, extra: ["--catalog", ProcessHeavyEndToEndTests.CatalogEndToEndTests.catalogDirectory])
        let listed = try await ProcessRunner.run(kubectl, ["--kubeconfig", "\(dir)/admin.kubeconfig", "--cache-dir", "\(dir)/cache",
                                                           "get", "serviceofferings", "-o", "name"])
        #expect(listed.stdout.split(separator: "\n").sorted() == ["serviceoffering.catalog.flotilla.io/counter",
            "serviceoffering.catalog.flotilla.io/echo", "serviceoffering.catalog.flotilla.io/mobile-game"], "\(listed.combined)")
        server.terminate()
        server.waitUntilExit()

        let refused = try await ProcessRunner.run(Self.flotilla, ["serve", "--data-dir", dir, "--port", "0",
            "--catalog", examplesDirectory, "--log-level", "warning"])
        #expect(refused.status != 0 && refused.combined.contains("--catalog takes ServiceOfferings"), "\(refused.combined)")
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func stopsCleanlyWithAWatchOpen(signal: Int32) async throws {
        let kubectl = try #require(KubectlBinaries.binary(for: "1.33"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-serve-\(UUID().uuidString)").path
        let (server, _) = try await startServer(dataDir: dir)
        let watcher = try BackgroundCommand(kubectl, ["--kubeconfig", "\(dir)/admin.kubeconfig", "--cache-dir", "\(dir)/cache",
                                                      "get", "namespaces", "-w"])
        #expect(await watcher.waitFor("kube-system"), "\(watcher.text)")
        kill(server.processIdentifier, signal)
        let deadline = ContinuousClock.now + .seconds(15)
        while server.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!server.isRunning, "flotilla serve did not stop on signal \(signal)")
        if server.isRunning { server.terminate() }
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        watcher.stop()
    }
}

/// `flotilla member` as a user runs it: sites and the fault endpoint from one command, stopped by a signal.
@Suite struct MemberLifecycleTests {
    @Test(arguments: [SIGTERM, SIGINT])
    func startsSitesServesFaultsAndStopsOnSignal(signal: Int32) async throws {
        let kubectl = try #require(KubectlBinaries.binary(for: "1.33"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-member-\(UUID().uuidString)").path
        let member = try BackgroundCommand(ServeLifecycleTests.flotilla, ["member", "--data-dir", dir, "--sites", "2",
                                                                         "--startup-delay", "0", "--log-level", "warning"])
        #expect(await member.waitFor("site edge-2 listening"), "\(member.text)")
        let nodes = try await ProcessRunner.run(kubectl, ["--kubeconfig", "\(dir)/edge-2.kubeconfig", "--cache-dir", "\(dir)/cache", "get", "nodes"])
        #expect(nodes.stdout.contains("edge-2-node-1"), "\(nodes.combined)")
        let admin = try #require(member.text.range(of: #"member admin listening on 127\.0\.0\.1:\d+"#, options: .regularExpression)
            .map { String(member.text[$0].split(separator: ":").last ?? "") })
        let down = try await ProcessRunner.run("/usr/bin/env", ["curl", "-s", "-X", "POST", "http://127.0.0.1:\(admin)/sites/edge-2/down"])
        #expect(down.stdout.contains("\"state\":\"down\""), "\(down.combined)")
        let refused = try await ProcessRunner.run(kubectl, ["--kubeconfig", "\(dir)/edge-2.kubeconfig", "--cache-dir", "\(dir)/cache",
                                                           "--request-timeout=3s", "get", "nodes"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("refused"), "\(refused.combined)")
        let up = try await ProcessRunner.run("/usr/bin/env", ["curl", "-s", "-X", "POST", "http://127.0.0.1:\(admin)/sites/edge-2/up"])
        #expect(up.stdout.contains("\"state\":\"running\""), "\(up.combined)")
        let unknown = try await ProcessRunner.run("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                                                                   "http://127.0.0.1:\(admin)/sites/nowhere/down"])
        #expect(unknown.stdout == "404")
        // A pod's usage through the admin endpoint is what kubectl top reports.
        let pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: busy, namespace: default}
            spec: {containers: [{name: main, image: "nginx:1"}]}
            """
        let created = try await ProcessRunner.run(kubectl, ["--kubeconfig", "\(dir)/edge-1.kubeconfig", "--cache-dir", "\(dir)/cache",
                                                           "apply", "-f", "-"], stdin: pod)
        #expect(created.status == 0, "\(created.combined)")
        let badUsage = try await ProcessRunner.run("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
            "http://127.0.0.1:\(admin)/sites/edge-1/namespaces/default/pods/busy/usage?cpu=lots"])
        #expect(badUsage.stdout == "400")
        let usage = try await ProcessRunner.run("/usr/bin/env", ["curl", "-s", "-X", "POST",
            "http://127.0.0.1:\(admin)/sites/edge-1/namespaces/default/pods/busy/usage?cpu=750m&memory=96Mi"])
        #expect(usage.stdout.contains("edge-1"), "\(usage.combined)")
        var top = ""
        for _ in 0..<50 {
            top = try await ProcessRunner.run(kubectl, ["--kubeconfig", "\(dir)/edge-1.kubeconfig", "--cache-dir", "\(dir)/cache",
                                                        "top", "pod", "busy"]).stdout
            if top.contains("750m") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(top.contains("750m") && top.contains("96Mi"), "\(top)")
        kill(member.process.processIdentifier, signal)
        let deadline = ContinuousClock.now + .seconds(15)
        while member.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!member.process.isRunning, "flotilla member did not stop on signal \(signal)")
        member.stop()
        #expect(member.process.terminationStatus == 0)
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// `flotilla serve` exposes the scheduling loop's metrics next to the API server's.
@Suite struct ServeMetricsTests {
    @Test func schedulerMetricsAreServed() async throws {
        let kubectl = try #require(KubectlBinaries.binary(for: "1.33"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-metrics-\(UUID().uuidString)").path
        let (server, _) = try await ServeLifecycleTests().startServer(dataDir: dir)
        defer {
            server.terminate()
            server.waitUntilExit()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let base = ["--kubeconfig", "\(dir)/admin.kubeconfig", "--cache-dir", "\(dir)/cache"]
        let manifest = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: m, namespace: default}
            spec: {replicas: 1, selector: {matchLabels: {app: m}}, template: {metadata: {labels: {app: m}}, spec: {containers: [{name: c, image: i}]}}}
            ---
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: m, namespace: default}
            spec:
              resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: m}]
              placement: {clusterAffinity: {clusterNames: [nowhere]}}
            """
        let applied = try await ProcessRunner.run(kubectl, base + ["apply", "-f", "-"], stdin: manifest)
        #expect(applied.status == 0, "\(applied.combined)")
        var metrics = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            metrics = try await ProcessRunner.run(kubectl, base + ["get", "--raw", "/metrics"]).stdout
            if metrics.contains(#"flotilla_scheduler_attempts_total{result="unschedulable"}"#) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(metrics.contains(#"flotilla_scheduler_attempts_total{result="unschedulable"}"#), "\(metrics.prefix(3000))")
        #expect(metrics.contains("flotilla_scheduler_algorithm_duration_seconds_bucket"))
        #expect(metrics.contains("flotilla_scheduler_queue_depth"))
    }
}
