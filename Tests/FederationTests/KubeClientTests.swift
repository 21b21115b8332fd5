import EdgeClusterSim
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// KubeClient against real servers on loopback: the control plane and a simulated site.
@Suite struct KubeClientTests {
    static let configMaps = ConfigMap.descriptor

    @Test func crudWatchAndErrorsThroughAKubeconfig() async throws {
        let server = try await RunningServer.start()
        let client = try KubeClient(kubeconfig: server.data.adminKubeconfig.path)
        do {
            let object: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a", "namespace": "default"], "data": ["k": "1"]]
            let created = try await client.create(Self.configMaps, object)
            #expect(created.uid != nil)
            let list = try await client.list(Self.configMaps, namespace: "default", options: .everything)
            #expect(list.items.map(\.name) == ["a"])
            // A watch from the list's version sees the next change.
            let stream = try await client.watch(Self.configMaps, namespace: "default", options: .everything, resourceVersion: list.resourceVersion)
            let patched = try await client.mergePatch(Self.configMaps, namespace: "default", name: "a", ["data": ["k": "2"]])
            #expect(patched["data"]?["k"] == "2")
            var iterator = stream.makeAsyncIterator()
            var event = try await iterator.next()
            // Bookmarks (every 200 ms on a test server) may come first.
            while event?.kind == .bookmark { event = try await iterator.next() }
            #expect(event?.kind == .modified)
            #expect(event?.object["data"]?["k"] == "2")
            // Typed errors carry the server's Status.
            await #expect(throws: APIError(.notFound, "configmaps \"missing\" not found",
                details: StatusDetails(name: "missing", group: "", kind: "configmaps"))) {
                try await client.get(Self.configMaps, namespace: "default", name: "missing")
            }
            var stale = created
            stale["data"] = ["k": "3"]
            do {
                _ = try await client.update(Self.configMaps, stale)
                Issue.record("a stale update succeeded")
            } catch {
                #expect(error.reason == .conflict)
            }
            do {
                _ = try await client.create(Self.configMaps, ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "Bad_Name", "namespace": "default"]])
                Issue.record("an invalid create succeeded")
            } catch {
                #expect(error.reason == .invalid && error.code == 422)
            }
            try await client.delete(Self.configMaps, namespace: "default", name: "a")
            #expect(try await client.list(Self.configMaps, namespace: "default", options: .everything).items.isEmpty)
        } catch {
            await client.shutdown()
            await server.stop()
            throw error
        }
        await client.shutdown()
        await server.stop()
    }

    @Test func unreachableSlowAndWrongCAFailFastWithTheReason() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-kc-\(UUID().uuidString)")
        let site = try EdgeSite(spec: SiteSpec(name: "edge-x", nodes: 1), directory: directory, kubelet: .immediate)
        try await site.start()
        let credentials = try KubeconfigFile.load(path: site.kubeconfig.path)
        #expect(credentials.token == site.adminToken)
        let policy = ClientPolicy(connectTimeout: .milliseconds(500), requestTimeout: .milliseconds(400), retries: 1,
            initialBackoff: .milliseconds(10))
        let client = try KubeClient(credentials: credentials, policy: policy)
        try await withCleanup({
            // The timeouts are short on purpose; on a busy machine a healthy answer may still miss one, so the
            // healthy cases poll and only the failure cases are asserted on a single call.
            try await waitUntil("the site's one node", seconds: 30, every: .milliseconds(100)) {
                (try? await client.list(Node.descriptor, namespace: nil, options: .everything).items.count) == 1
            }
            // Slower than the request timeout: Unreachable, after one retry, not a hang.
            site.faults.setLatency(.seconds(2))
            do {
                _ = try await client.get(Node.descriptor, namespace: nil, name: "edge-x-node-1")
                Issue.record("a slow site answered within the timeout")
            } catch {
                #expect((error as? APIError)?.reason == .unreachable)
            }
            site.faults.setLatency(.zero)
            await site.down()
            do {
                _ = try await client.raw("/readyz", retries: 0)
                Issue.record("a downed site answered")
            } catch {
                #expect((error as? APIError)?.reason == .unreachable)
            }
            try await site.up()
            try await waitUntil("the site ready again", seconds: 30, every: .milliseconds(100)) { (try? await client.raw("/readyz")) == "ok" }
            // Another CA: the TLS handshake fails, reported as Unreachable with the cause.
            var wrong = credentials
            wrong.caPEM = try CertificateAuthorityFixture.otherCA()
            let untrusting = try KubeClient(credentials: wrong, policy: policy)
            do {
                _ = try await untrusting.raw("/version", retries: 0)
                Issue.record("a server with an unknown CA was trusted")
            } catch {
                #expect((error as? APIError)?.reason == .unreachable)
            }
            await untrusting.shutdown()
        }, cleanup: {
            await client.shutdown()
            await site.stop()
            try? FileManager.default.removeItem(at: directory)
        })
    }

    @Test func kubeconfigErrorsSayWhatIsWrong() {
        #expect(throws: KubeconfigError("kubeconfig has no current-context; name one with --context")) {
            try KubeconfigFile.parse("apiVersion: v1\nkind: Config\nclusters: []\n")
        }
        #expect(throws: KubeconfigError("context \"nope\" is not in the kubeconfig")) {
            try KubeconfigFile.parse("apiVersion: v1\ncurrent-context: nope\ncontexts: []\n")
        }
        let text = """
            apiVersion: v1
            current-context: c
            contexts: [{name: c, context: {cluster: k, user: u, namespace: games}}]
            clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443/", insecure-skip-tls-verify: true}}]
            users: [{name: u, user: {token: abc}}]
            """
        let credentials = try? KubeconfigFile.parse(text)
        #expect(credentials == ClusterCredentials(server: "https://127.0.0.1:6443", insecureSkipTLSVerify: true, token: "abc", namespace: "games"))
    }
}

enum CertificateAuthorityFixture {
    /// The CA certificate of a fresh, unrelated data directory.
    static func otherCA() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-ca-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        return try EdgeSite(spec: SiteSpec(name: "other"), directory: directory).caPEM
    }
}
