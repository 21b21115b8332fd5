import FlotillaAPI
import FlotillaTestSupport
import Foundation
import Testing

/// The kubectl binaries to test with: the versioned ones that sit beside `kubectl` (the Google Cloud SDK layout),
/// or plain `kubectl` (Debian's kubernetes-client, which scripts/test installs when none is present).
enum KubectlBinaries {
    static var directory: String? {
        guard let kubectl = ProcessRunner.which("kubectl") else { return nil }
        return (URL(fileURLWithPath: kubectl).resolvingSymlinksInPath().path as NSString).deletingLastPathComponent
    }

    static func binary(for version: String) -> String? {
        if let directory, FileManager.default.isExecutableFile(atPath: "\(directory)/kubectl.\(version)") {
            return "\(directory)/kubectl.\(version)"
        }
        return ProcessRunner.which("kubectl")
    }
}

/// One kubectl bound to a server: its kubeconfig and a private discovery cache.
struct Kubectl {
    let binary: String
    let kubeconfig: String
    let cacheDirectory: String

    init(version: String, server: RunningServer) throws {
        try self.init(version: version, kubeconfig: server.data.adminKubeconfig.path)
    }

    init(version: String, kubeconfig: String) throws {
        binary = try #require(KubectlBinaries.binary(for: version), "no kubectl found; scripts/test installs kubernetes-client")
        self.kubeconfig = kubeconfig
        cacheDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("kubectl-cache-\(UUID().uuidString)").path
    }

    var baseArguments: [String] { ["--kubeconfig", kubeconfig, "--cache-dir", cacheDirectory] }

    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil) async throws -> CommandResult {
        try await ProcessRunner.run(binary, baseArguments + arguments, stdin: stdin)
    }

    func background(_ arguments: [String]) throws -> BackgroundCommand {
        try BackgroundCommand(binary, baseArguments + arguments)
    }
}

let examplesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("manifests/examples").path

let twoContainerDeployment = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: arena, namespace: games, labels: {app: arena}}
    spec:
      replicas: 2
      selector: {matchLabels: {app: arena}}
      template:
        metadata: {labels: {app: arena}}
        spec:
          containers:
          - name: server
            image: flotilla/mobile-game:1
            env: [{name: A, value: "1"}, {name: B, value: "2"}, {name: C, value: "3"}]
            ports: [{containerPort: 80}, {containerPort: 443}]
          - name: sidecar
            image: envoy:1
    """

/// The same Deployment with the sidecar, env var B and port 443 removed, and a new image.
let oneContainerDeployment = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: arena, namespace: games, labels: {app: arena}}
    spec:
      replicas: 2
      selector: {matchLabels: {app: arena}}
      template:
        metadata: {labels: {app: arena}}
        spec:
          containers:
          - name: server
            image: flotilla/mobile-game:2
            env: [{name: A, value: "1"}, {name: C, value: "3"}]
            ports: [{containerPort: 80}]
    """

@Suite(.serialized) struct KubectlCompatTests {
    @Test(arguments: ["1.27", "1.33"])
    func kubectlDrivesTheControlPlane(version: String) async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let kubectl = try Kubectl(version: version, server: server)

        let resources = try await kubectl.run(["api-resources"])
        #expect(resources.status == 0, "\(resources.combined)")
        #expect(resources.stdout.contains("propagationpolicies") && resources.stdout.contains(" pp "))
        #expect(resources.stdout.contains("policy.karmada.io/v1alpha1"))

        let applied = try await kubectl.run(["apply", "-f", examplesDirectory])
        #expect(applied.status == 0, "\(applied.combined)")
        #expect(applied.stdout.contains("propagationpolicy.policy.karmada.io/game-divided created"))
        #expect(applied.stdout.contains("deployment.apps/mobile-game created"))
        let again = try await kubectl.run(["apply", "-f", examplesDirectory])
        #expect(again.status == 0, "\(again.combined)")
        let lines = again.stdout.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasSuffix(" unchanged") }, "\(again.stdout)")

        // Client-side apply of a changed built-in kind: strategic merge removes the container, env var and port.
        #expect(try await kubectl.run(["apply", "-f", "-"], stdin: twoContainerDeployment).status == 0)
        let changed = try await kubectl.run(["apply", "-f", "-"], stdin: oneContainerDeployment)
        #expect(changed.stdout.contains("deployment.apps/arena configured"), "\(changed.combined)")
        let arena = try JSONValue.parse(try await kubectl.run(["get", "deploy", "arena", "-n", "games", "-o", "json"]).stdout)
        let containers = arena.value(at: ["spec", "template", "spec", "containers"])?.arrayValue ?? []
        #expect(containers.compactMap { $0["name"]?.stringValue } == ["server"])
        #expect(containers.first?["image"] == "flotilla/mobile-game:2")
        #expect(containers.first?["env"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["A", "C"])
        #expect(containers.first?["ports"]?.arrayValue?.compactMap { $0["containerPort"]?.int64Value } == [80])

        let table = try await kubectl.run(["get", "pp", "-n", "games"])
        #expect(table.stdout.contains("CONFLICT-RESOLUTION") && table.stdout.contains("game-divided"), "\(table.combined)")
        let deployments = try await kubectl.run(["get", "deploy", "-A"])
        #expect(deployments.stdout.contains("UP-TO-DATE") && deployments.stdout.contains("mobile-game"))
        let yaml = try await kubectl.run(["get", "cluster", "edge-tokyo-1", "-o", "yaml"])
        #expect(yaml.stdout.contains("kind: Cluster") && yaml.stdout.contains("syncMode: Push"))
        #expect(try await kubectl.run(["get", "karmada-io", "-A"]).stdout.contains("edge-heavy"))

        // get -w sees a change made by another command.
        let watcher = try kubectl.background(["get", "deploy", "mobile-game", "-n", "games", "-w"])
        #expect(await watcher.waitFor("mobile-game"), "\(watcher.text)")
        #expect(try await kubectl.run(["scale", "deploy", "mobile-game", "-n", "games", "--replicas=3"]).stdout.contains("scaled"))
        #expect(await watcher.waitFor("0/3"), "\(watcher.text)")
        watcher.stop()

        #expect(try await kubectl.run(["label", "pp", "game-divided", "-n", "games", "tier=edge"]).stdout.contains("labeled"))
        #expect(try await kubectl.run(["annotate", "cluster", "edge-tokyo-1", "flotilla.io/note=hi"]).stdout.contains("annotate"))  // 1.27 prints "annotate"
        #expect(try await kubectl.run(["get", "pp", "-n", "games", "-l", "tier=edge", "-o", "name"]).stdout
            .contains("propagationpolicy.policy.karmada.io/game-divided"))
        let describe = try await kubectl.run(["describe", "deploy", "mobile-game", "-n", "games"])
        #expect(describe.status == 0 && describe.stdout.contains("Replicas:"), "\(describe.combined)")
        #expect(try await kubectl.run(["describe", "pp", "game-divided", "-n", "games"]).stdout.contains("Conflict Resolution:"))
        // Events about an object (controllers will write them) show up in describe.
        let uid = try await kubectl.run(["get", "pp", "game-divided", "-n", "games", "-o", "jsonpath={.metadata.uid}"]).stdout
        let event = """
            apiVersion: v1
            kind: Event
            metadata: {name: game-divided.scheduled, namespace: games}
            involvedObject: {apiVersion: policy.karmada.io/v1alpha1, kind: PropagationPolicy, name: game-divided, namespace: games, uid: \(uid)}
            type: Normal
            reason: ApplyPolicySucceed
            message: Apply policy(games/game-divided) succeed
            source: {component: flotilla-controller-manager}
            firstTimestamp: "2026-11-28T00:00:00Z"
            lastTimestamp: "2026-11-28T00:00:00Z"
            count: 1
            """
        #expect(try await kubectl.run(["apply", "-f", "-"], stdin: event).status == 0)
        let described = try await kubectl.run(["describe", "pp", "game-divided", "-n", "games"])
        #expect(described.stdout.contains("ApplyPolicySucceed"), "\(described.combined)")

        // A stale --resource-version is a 409.
        let stale = try await kubectl.run(["label", "pp", "game-divided", "-n", "games", "tier=cloud", "--overwrite", "--resource-version=1"])
        #expect(stale.status != 0)
        #expect(stale.stderr.contains("Conflict"), "\(stale.combined)")

        let ssa = try await kubectl.run(["apply", "--server-side", "-f", "\(examplesDirectory)/propagation-policies.yaml"])
        #expect(ssa.status == 0 && ssa.stdout.contains("serverside-applied"), "\(ssa.combined)")

        let deleted = try await kubectl.run(["delete", "pp", "analyzer-fallback", "-n", "games", "--wait=true"])
        #expect(deleted.stdout.contains("deleted"), "\(deleted.combined)")
        #expect(try await kubectl.run(["wait", "--for=delete", "pp/analyzer-fallback", "-n", "games", "--timeout=10s"]).status == 0)
        let gone = try await kubectl.run(["get", "pp", "analyzer-fallback", "-n", "games"])
        #expect(gone.status != 0 && gone.stderr.contains("NotFound"))
        await server.stop()
    }
}

@Suite struct PythonClientTests {
    /// The interpreter that has the `kubernetes` package: scripts/test's virtual environment (FLOTILLA_PYTHON),
    /// the one on PATH, or Debian's.
    static func python() async -> String? {
        let candidates = [ProcessInfo.processInfo.environment["FLOTILLA_PYTHON"], ProcessRunner.which("python3"), "/usr/bin/python3"]
        for candidate in candidates.compactMap({ $0 }) {
            if let result = try? await ProcessRunner.run(candidate, ["-c", "import kubernetes"]), result.status == 0 { return candidate }
        }
        return nil
    }

    @Test func officialPythonClientWorksUnchanged() async throws {
        let python = try #require(await Self.python(), "the kubernetes Python package is missing; scripts/test installs it")
        let script = try #require(Bundle.module.url(forResource: "python/client_checks", withExtension: "py"))
        let server = try await RunningServer.start()
        let result = try await ProcessRunner.run(python, [script.path, server.data.adminKubeconfig.path], timeout: .seconds(120))
        await server.stop()
        #expect(result.status == 0, "\(result.combined)")
        #expect(result.stdout.contains("python client: all checks passed"), "\(result.combined)")
    }
}
