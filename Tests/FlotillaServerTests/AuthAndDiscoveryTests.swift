import FlotillaAPI
import FlotillaServer
import FlotillaTestSupport
import Foundation
import Testing

@Suite struct AuthTests {
    @Test func anonymousRequestsGet401ExceptHealthAndVersion() async throws {
        try await withServer { (server, _) async throws in
            try await TestClient(server: server, token: "wrong-token").using { anonymous in
                let denied = try await anonymous.request(.GET, "/api/v1/namespaces")
                #expect(denied.status == 401)
                #expect(denied.json?["reason"] == "Unauthorized")
                for path in ["/healthz", "/livez", "/readyz", "/version"] {
                    #expect(try await anonymous.request(.GET, path).status == 200)
                }
            }
        }
    }

    @Test func viewersMayReadButNotWrite() async throws {
        try await withServer { (server, _) async throws in
            try await TestClient(server: server, token: server.data.viewerToken).using { viewer in
                #expect(try await viewer.request(.GET, "/api/v1/namespaces").status == 200)
                let write = try await viewer.request(.POST, policies, json: policyJSON)
                #expect(write.status == 403)
                #expect(write.json?["reason"] == "Forbidden")
                #expect(write.json?["message"]?.stringValue?.contains(#"User "viewer" cannot create"#) == true)
                // Secrets (member credentials among them) are not for viewers, in a list or one by one.
                #expect(try await viewer.request(.GET, "/api/v1/namespaces/karmada-cluster/secrets").status == 403)
                #expect(try await viewer.request(.GET, "/api/v1/secrets").status == 403)
                #expect(try await viewer.request(.GET, "/api/v1/namespaces/default/configmaps").status == 200)
            }
        }
    }

    @Test func clientCertificatesSignedByTheCAAuthenticate() async throws {
        try await withServer { (server, _) async throws in
            let admin = try server.data.authority.issueClient(user: "alice", groups: ["system:masters"])
            try await TestClient(server: server, clientCertificate: admin).using { (client: TestClient) async throws in
                #expect(try await client.request(.POST, policies, json: policyJSON).status == 201)
            }
            let nobody = try server.data.authority.issueClient(user: "bob", groups: [])
            try await TestClient(server: server, clientCertificate: nobody).using { (weak: TestClient) async throws in
                #expect(try await weak.request(.GET, policies).status == 403)
            }
            // A certificate from another CA is refused during the TLS handshake.
            let otherDir = FileManager.default.temporaryDirectory.appendingPathComponent("other-ca-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: otherDir, withIntermediateDirectories: true)
            let foreign = try CertificateAuthority.loadOrCreate(in: otherDir).issueClient(user: "mallory", groups: ["system:masters"])
            try await TestClient(server: server, clientCertificate: foreign).using { (intruder: TestClient) async throws in
                await #expect(throws: (any Error).self) { _ = try await intruder.request(.GET, policies) }
            }
        }
    }

    @Test func tokensAreNeverLogged() throws {
        // The data directory keeps tokens in files readable by their owner only.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-perm-\(UUID().uuidString)")
        let data = try DataDirectory.prepare(dir)
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("tokens.csv").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(!data.adminToken.isEmpty)
        let again = try DataDirectory.prepare(dir)
        #expect(again.adminToken == data.adminToken)
        #expect(again.authority.certificatePEM == data.authority.certificatePEM)
    }
}

@Suite struct DiscoveryTests {
    @Test func legacyDiscovery() async throws {
        try await withServer { (_, client) async throws in
            let api = try await client.request(.GET, "/api")
            #expect(api.json?["kind"] == "APIVersions")
            let groups = try await client.request(.GET, "/apis")
            let names = groups.json?["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(Set(names).isSuperset(of: ["apps", "policy.karmada.io", "cluster.karmada.io", "work.karmada.io"]))
            let resources = try await client.request(.GET, "/apis/policy.karmada.io/v1alpha1")
            let pp = resources.json?["resources"]?.arrayValue?.first { $0["name"] == "propagationpolicies" }
            #expect(pp?["shortNames"] == ["pp"])
            #expect(pp?["namespaced"] == true)
            let apps = try await client.request(.GET, "/apis/apps/v1")
            #expect(apps.json?["resources"]?.arrayValue?.contains { $0["name"] == "deployments/scale" && $0["kind"] == "Scale" } == true)
            #expect(try await client.request(.GET, "/apis/work.karmada.io").json?["versions"]?.arrayValue?.count == 2)
        }
    }

    @Test(arguments: [
        ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", "v2"),
        ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", "v2beta1"),
    ])
    func aggregatedDiscoveryUsesTheExactContentType(accept: String, version: String) async throws {
        try await withServer { (_, client) async throws in
            let reply = try await client.request(.GET, "/apis", headers: ["Accept": accept])
            #expect(reply.header("Content-Type") == "application/json;g=apidiscovery.k8s.io;v=\(version);as=APIGroupDiscoveryList")
            #expect(reply.json?["apiVersion"]?.stringValue == "apidiscovery.k8s.io/\(version)")
            let core = try await client.request(.GET, "/api", headers: ["Accept": accept])
            let coreResources = core.json?["items"]?.arrayValue?.first?["versions"]?.arrayValue?.first?["resources"]?.arrayValue ?? []
            #expect(coreResources.contains { $0["resource"] == "namespaces" && $0["scope"] == "Cluster" })
        }
    }

    @Test func versionAndOpenAPI() async throws {
        try await withServer { (_, client) async throws in
            let version = try await client.request(.GET, "/version?timeout=32s")
            let minor = Int(version.json?["minor"]?.stringValue ?? "") ?? 0
            #expect((27...33).contains(minor))
            let openapi = try await client.request(.GET, "/openapi/v2")
            #expect(openapi.status == 200)
            #expect(openapi.body.isEmpty)
            #expect(openapi.header("Content-Type") == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
            #expect(try await client.request(.GET, "/openapi/v3").status == 404)
            let metrics = try await client.request(.GET, "/metrics")
            #expect(metrics.text.contains("flotilla_apiserver_requests_total"))
        }
    }

    @Test func notAcceptableOnlyWhenJSONIsExcluded() async throws {
        try await withServer { (_, client) async throws in
            #expect(try await client.request(.GET, policies, headers: ["Accept": "application/vnd.kubernetes.protobuf,application/json"]).status == 200)
            #expect(try await client.request(.GET, policies, headers: ["Accept": "*/*"]).status == 200)
            #expect(try await client.request(.GET, policies, headers: ["Accept": "application/vnd.kubernetes.protobuf"]).status == 406)
        }
    }
}
