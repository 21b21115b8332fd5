import FlotillaAPI
import FlotillaTestSupport
import Foundation
import Testing

/// The control plane beyond one machine, through the real commands: three etcd members on loopback, two
/// `flotilla serve` replicas sharing them (the second from a copy of the first's data directory), kubectl through
/// either, `flotilla member` sites for the scheduler to place on.
extension ProcessHeavyEndToEndTests {
@Suite(.serialized) struct EtcdReplicasEndToEndTests {
    struct Replica {
        let name: String
        let process: BackgroundCommand
        let kubectl: Kubectl
    }

    struct Setup {
        let dir: String
        let etcd: EtcdCluster
        let member: BackgroundCommand
        var replicas: [Replica]

        func replica(_ name: String) -> Replica { replicas.first { $0.name == name }! }

        func stop() {
            for replica in replicas { replica.process.stop() }
            member.stop()
            etcd.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// Starts etcd, the sites and replica-a; then replica-b from a copy of a's data directory. `servers(name)` is
    /// the `--etcd-servers` each replica gets.
    static func start(servers: (EtcdCluster, String) -> String, extra: [String] = []) async throws -> Setup {
        guard EtcdCluster.installed else { throw EtcdCluster.Failure.notInstalled }
        let flotilla = ServeLifecycleTests.flotilla
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-replicas-\(UUID().uuidString)").path
        let etcd = try await EtcdCluster.start(members: 3)
        let member = try BackgroundCommand(flotilla, ["member", "--data-dir", "\(dir)/sites", "--sites", "2", "--startup-delay", "0",
                                                      "--log-level", "warning"])
        var setup = Setup(dir: dir, etcd: etcd, member: member, replicas: [])
        do {
            for name in ["replica-a", "replica-b"] {
                if name == "replica-b" {
                    try FileManager.default.copyItem(atPath: "\(dir)/replica-a", toPath: "\(dir)/replica-b")
                }
                let process = try BackgroundCommand(flotilla, ["serve", "--etcd-servers", servers(etcd, name), "--identity", name,
                    "--data-dir", "\(dir)/\(name)", "--port", "0", "--cluster-status-interval", "1", "--log-level", "notice"] + extra)
                setup.replicas.append(Replica(name: name, process: process,
                                              kubectl: try Kubectl(version: "1.33", kubeconfig: "\(dir)/\(name)/admin.kubeconfig")))
                guard await process.waitFor("listening on", timeout: .seconds(30)) else {
                    throw FederationFixture.JoinFailed(description: "\(name) did not start: \(process.text)")
                }
            }
            guard await member.waitFor("site edge-2 listening") else { throw FederationFixture.JoinFailed(description: member.text) }
            for site in ["edge-1", "edge-2"] {
                let joined = try await ProcessRunner.run(flotilla, ["join", site, "--kubeconfig", "\(dir)/sites/\(site).kubeconfig",
                                                                    "--control-plane-kubeconfig", "\(dir)/replica-a/admin.kubeconfig"])
                guard joined.status == 0 else { throw FederationFixture.JoinFailed(description: joined.combined) }
            }
        } catch {
            setup.stop()
            throw error
        }
        return setup
    }

    static func holder(_ kubectl: Kubectl) async throws -> String {
        try await kubectl.run(["get", "lease", "-n", "kube-system", "flotilla-controller-manager", "--request-timeout=5s",
                               "-o", "jsonpath={.spec.holderIdentity}"]).stdout
    }

    /// A ConfigMap created through `kubectl apply` (JSON on the wire: kubectl 1.33's `create configmap` sends
    /// protobuf, which Flotilla does not read), true when acknowledged.
    static func create(_ kubectl: Kubectl, _ name: String, data: String = "x", timeout: String = "10s") async throws -> Bool {
        let result = try await kubectl.run(["apply", "--request-timeout=\(timeout)", "-f", "-"],
                                           stdin: "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"\(name)\", \"namespace\": \"default\"}, \"data\": {\"k\": \"\(data)\"}}")
        return result.status == 0
    }

    static let workload = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: NAME, namespace: default}
        spec:
          replicas: 2
          selector: {matchLabels: {app: NAME}}
          template:
            metadata: {labels: {app: NAME}}
            spec: {containers: [{name: server, image: "flotilla/echo:1"}]}
        ---
        apiVersion: policy.karmada.io/v1alpha1
        kind: PropagationPolicy
        metadata: {name: NAME, namespace: default}
        spec:
          resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: NAME}]
          placement: {clusterAffinity: {clusterNames: [edge-1, edge-2]}}
        """

    /// The interface: each replica sees the other's writes and watches them; the Lease names one; after
    /// SIGKILL of the holder and of an etcd member, every acknowledged write is listed through the survivor, new
    /// writes succeed, and within 30 s the survivor holds the Lease and schedules a new binding.
    @Test func theSurvivorKeepsEveryWriteAndTakesOverTheControllers() async throws {
        let setup = try await Self.start(servers: { etcd, _ in etcd.servers })
        defer { setup.stop() }
        let a = setup.replica("replica-a").kubectl, b = setup.replica("replica-b").kubectl

        // Writes through one are read and watched through the other at once.
        let watch = try b.background(["get", "configmaps", "-n", "default", "-w", "-o", "name"])
        defer { watch.stop() }
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await Self.create(a, "from-a", data: "v"))
        #expect(try await b.run(["get", "configmap", "from-a", "-o", "jsonpath={.data.k}"]).stdout == "v")
        #expect(await watch.waitFor("configmap/from-a", timeout: .seconds(10)), "\(watch.text)")
        #expect(try await Self.create(b, "from-b"))
        #expect(try await a.run(["get", "configmap", "from-b", "-o", "name"]).stdout.contains("from-b"))

        // With --etcd-servers nothing of the store is in the data directory: the CA, tokens and kubeconfigs only.
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(setup.dir)/replica-a").sorted()
        #expect(files == ["admin.kubeconfig", "ca.crt", "ca.key", "tokens.csv", "viewer.kubeconfig"], "\(files)")

        let first = try await Self.holder(a)
        #expect(["replica-a", "replica-b"].contains(first), "holder: \(first)")
        let table = try await b.run(["get", "lease", "-n", "kube-system"]).stdout
        #expect(table.contains("HOLDER") && table.contains(first), "\(table)")

        // Acknowledged writes through both replicas, then the holder and one etcd member die together.
        var acknowledged: [String] = []
        for index in 0..<20 {
            let through = index.isMultiple(of: 2) ? a : b
            if try await Self.create(through, "w-\(index)") { acknowledged.append("w-\(index)") }
        }
        #expect(acknowledged.count == 20)
        let survivor = first == "replica-a" ? setup.replica("replica-b") : setup.replica("replica-a")
        let holder = setup.replica(first)
        let killed = ContinuousClock.now
        kill(holder.process.process.processIdentifier, SIGKILL)
        setup.etcd.kill(0)

        let listed = try await survivor.kubectl.run(["get", "configmaps", "-n", "default", "-o", "name", "--request-timeout=20s"]).stdout
        let names = Set(listed.split(separator: "\n").map { String($0.dropFirst("configmap/".count)) })
        #expect(Set(acknowledged).isSubset(of: names), "lost: \(Set(acknowledged).subtracting(names).sorted())")
        #expect(try await Self.create(survivor.kubectl, "after-the-kill", timeout: "20s"))

        try await waitUntil("the survivor holds the lease", seconds: 30, every: .milliseconds(250)) {
            (try? await Self.holder(survivor.kubectl)) == survivor.name
        }
        print("replicas: \(survivor.name) held the lease \(ContinuousClock.now - killed) after SIGKILL of \(first) and of an etcd member (lease 15 s)")
        #expect(ContinuousClock.now - killed < .seconds(30))
        let applied = try await survivor.kubectl.run(["apply", "-f", "-"], stdin: Self.workload.replacingOccurrences(of: "NAME", with: "late"))
        #expect(applied.status == 0, "\(applied.combined)")
        try await waitUntil("the new binding scheduled by the survivor", seconds: 30, every: .milliseconds(250)) {
            !(try await survivor.kubectl.run(["get", "rb", "late-deployment", "-o", "jsonpath={.spec.clusters[*].name}"]).stdout.isEmpty)
        }
        #expect(survivor.process.text.contains("became leader"))
    }

    /// Each replica talks to its own etcd member; the leader's member is frozen (SIGSTOP: a partition). The leader
    /// cannot renew, stops its controllers and says so; the other takes the Lease; writes acknowledged through the
    /// survivor meanwhile are all there once the partition heals, and the old leader follows, not leads.
    @Test func aPartitionedLeaderStepsDownAndLosesNothing() async throws {
        let setup = try await Self.start(servers: { etcd, name in etcd.members[name == "replica-a" ? 0 : 1].clientURL },
            extra: ["--leader-elect-lease-duration", "4s", "--leader-elect-renew-deadline", "3s", "--leader-elect-retry-period", "500ms"])
        defer { setup.stop() }
        let b = setup.replica("replica-b")
        try await waitUntil("replica-a leads", seconds: 20, every: .milliseconds(250)) { (try? await Self.holder(b.kubectl)) == "replica-a" }
        let a = setup.replica("replica-a")
        setup.etcd.pause(0)
        try await waitUntil("replica-b takes the lease", seconds: 30, every: .milliseconds(250)) { (try? await Self.holder(b.kubectl)) == "replica-b" }
        #expect(await a.process.waitFor("lost the lease", timeout: .seconds(10)), "\(a.process.text)")
        var acknowledged: [String] = []
        for index in 0..<10 where try await Self.create(b.kubectl, "p-\(index)") { acknowledged.append("p-\(index)") }
        #expect(acknowledged.count == 10)
        setup.etcd.resume(0)
        try await waitUntil("replica-a answers again with every write", seconds: 30, every: .milliseconds(500)) {
            let listed = try await a.kubectl.run(["get", "configmaps", "-o", "name", "--request-timeout=5s"]).stdout
            return acknowledged.allSatisfy { listed.contains("configmap/\($0)") }
        }
        try await Task.sleep(for: .seconds(2))
        #expect(try await Self.holder(a.kubectl) == "replica-b", "the healed replica follows")
        #expect(a.process.text.components(separatedBy: "became leader").count == 2, "replica-a led once: \(a.process.text)")
    }
}
}
