import EdgeClusterSim
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// The service catalog through kubectl: an offering from manifests/catalog, an instance provisioned onto a joined
/// site, a binding's Secret, bad parameters named by field, and a deletion that reaches the member.
extension ProcessHeavyEndToEndTests {
@Suite(.serialized) struct CatalogEndToEndTests {
    static let catalogDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("manifests/catalog").path

    static func waitFor(_ what: String, seconds: Double = 30, _ condition: () async throws -> Bool) async throws {
        try await waitUntil(what, seconds: seconds, every: .milliseconds(100), condition)
    }

    @Test func provisionBindAndDeprovisionWithKubectl() async throws {
        let fixture = try await FederationFixture.start(sites: [FederationFixture.site("edge-1", region: "eu", nodes: 1)],
            kubelet: KubeletConfiguration(startupDelay: .milliseconds(100), jitter: .milliseconds(50)))
        let kubectl = fixture.kubectl, member = fixture.members["edge-1"]!
        do {
            try await fixture.waitForReadyClusters()
            let offerings = try await kubectl.run(["apply", "-f", Self.catalogDirectory])
            #expect(offerings.status == 0, "\(offerings.combined)")
            let listed = try await kubectl.run(["get", "serviceofferings"])
            #expect(listed.stdout.contains("echo") && listed.stdout.contains("mobile-game") && listed.stdout.contains("standard"), "\(listed.stdout)")

            let applied = try await kubectl.run(["apply", "-f", "-"], stdin: """
                apiVersion: catalog.flotilla.io/v1alpha1
                kind: ServiceInstance
                metadata: {name: hello, namespace: default}
                spec: {offeringName: echo, planName: standard, parameters: {replicas: 2}}
                ---
                apiVersion: catalog.flotilla.io/v1alpha1
                kind: ServiceBinding
                metadata: {name: hello-app, namespace: default}
                spec: {instanceRef: {name: hello}}
                """)
            #expect(applied.status == 0, "\(applied.combined)")
            try await Self.waitFor("the instance Ready", seconds: 60) {
                try await kubectl.run(["get", "serviceinstance", "hello", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"]).stdout == "True"
            }
            let deployment = try await member.get(Deployment.descriptor, namespace: "default", name: "hello")
            #expect(deployment["spec"]?["replicas"]?.int64Value == 2)
            #expect(deployment["status"]?["readyReplicas"]?.int64Value == 2)
            #expect(deployment.labels["catalog.flotilla.io/instance"] == "hello")
            let objects = try await kubectl.run(["get", "serviceinstance", "hello", "-o", "jsonpath={.status.objects[*].kind}"])
            #expect(objects.stdout == "Deployment Service PropagationPolicy", "\(objects.combined)")

            try await Self.waitFor("the binding's Secret") {
                try await kubectl.run(["get", "servicebinding", "hello-app", "-o", "jsonpath={.status.secretName}"]).stdout == "hello-app"
            }
            let secret = try await kubectl.run(["get", "secret", "hello-app", "-o", "jsonpath={.data.endpoints}"])
            let endpoints = String(decoding: Data(base64Encoded: secret.stdout) ?? Data(), as: UTF8.self)
            #expect(endpoints.contains(#""cluster":"edge-1""#) && endpoints.contains("hello.default"), "\(endpoints)")
            let encoded = try await kubectl.run(["get", "secret", "hello-app", "-o", "jsonpath={.data.token}"]).stdout
            let token = String(decoding: Data(base64Encoded: encoded) ?? Data(), as: UTF8.self)
            #expect(token.count == 64)
            // The binding's token reaches its instance and nothing else.
            try await TestClient(server: fixture.controlPlane, token: token).using { (app: TestClient) async throws in
                #expect(try await app.request(.GET, "/apis/catalog.flotilla.io/v1alpha1/namespaces/default/serviceinstances/hello").status == 200)
                #expect(try await app.request(.GET, "/mec/discovery/v1/namespaces/default/apps/hello/endpoints?cell=c1").status != 403)
                #expect(try await app.request(.GET, "/mec/discovery/v1/namespaces/default/apps/other/endpoints?cell=c1").status == 403)
                #expect(try await app.request(.GET, "/api/v1/namespaces/default/secrets").status == 403)
                #expect(try await app.request(.DELETE, "/apis/catalog.flotilla.io/v1alpha1/namespaces/default/serviceinstances/hello").status == 403)
            }
            try await TestClient(server: fixture.controlPlane, token: "not-a-token").using { (stranger: TestClient) async throws in
                #expect(try await stranger.request(.GET, "/apis/catalog.flotilla.io/v1alpha1/namespaces/default/serviceinstances/hello").status == 401)
            }

            // Deleting the binding ends its Secret and its token.
            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: """
                apiVersion: catalog.flotilla.io/v1alpha1
                kind: ServiceBinding
                metadata: {name: short-lived, namespace: default}
                spec: {instanceRef: {name: hello}}
                """).status == 0)
            try await Self.waitFor("the short-lived binding's Secret") { try await kubectl.run(["get", "secret", "short-lived"]).status == 0 }
            #expect(try await kubectl.run(["delete", "servicebinding", "short-lived"]).status == 0)
            try await Self.waitFor("its Secret gone") { try await kubectl.run(["get", "secret", "short-lived"]).status != 0 }

            // The member is cut off while an instance provisions: it waits, then becomes Ready when the member is back.
            let site = fixture.sites.site(named: "edge-1")!
            await site.down()
            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: """
                apiVersion: catalog.flotilla.io/v1alpha1
                kind: ServiceInstance
                metadata: {name: late, namespace: default}
                spec: {offeringName: echo, planName: standard}
                """).status == 0)
            try await Self.waitFor("the late instance provisioning") {
                try await kubectl.run(["get", "serviceinstance", "late", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}"]).stdout == "Provisioning"
            }
            try await Task.sleep(for: .seconds(1))
            #expect(try await kubectl.run(["get", "serviceinstance", "late", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"]).stdout == "False")
            try await site.up()
            try await Self.waitFor("the late instance Ready once the member is back", seconds: 60) {
                try await kubectl.run(["get", "serviceinstance", "late", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"]).stdout == "True"
            }

            // Parameters that break the plan's schema: the condition names each field.
            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: """
                apiVersion: catalog.flotilla.io/v1alpha1
                kind: ServiceInstance
                metadata: {name: wrong, namespace: default}
                spec: {offeringName: echo, planName: standard, parameters: {replicas: 99, colour: blue}}
                """).status == 0)
            try await Self.waitFor("the invalid instance's condition") {
                try await kubectl.run(["get", "serviceinstance", "wrong", "-o", "jsonpath={.status.conditions[0].reason}"]).stdout == "InvalidParameters"
            }
            let message = try await kubectl.run(["get", "serviceinstance", "wrong", "-o", "jsonpath={.status.conditions[0].message}"]).stdout
            #expect(message.contains("spec.parameters.replicas") && message.contains("spec.parameters.colour"), "\(message)")
            #expect((try? await member.get(Deployment.descriptor, namespace: "default", name: "wrong")) == nil)

            // Deleting the instance removes what it made, on the member too, and the binding's Secret.
            #expect(try await kubectl.run(["delete", "serviceinstance", "hello", "wrong", "late"]).status == 0)
            try await Self.waitFor("the workloads gone from the member", seconds: 40) {
                let hello = try? await member.get(Deployment.descriptor, namespace: "default", name: "hello")
                let late = try? await member.get(Deployment.descriptor, namespace: "default", name: "late")
                return hello == nil && late == nil
            }
            try await Self.waitFor("the instance, binding and secret gone") {
                let left = try await kubectl.run(["get", "serviceinstances,servicebindings", "-o", "name"]).stdout
                let secret = try await kubectl.run(["get", "secret", "hello-app"])
                return left.isEmpty && secret.status != 0
            }
        } catch {
            Issue.record("\(error)")
        }
        await fixture.stop()
    }

    /// The issue's interface: an OSB platform with the admin token provisions, binds, unbinds and deprovisions.
    @Test func anOpenServiceBrokerPlatformProvisionsAndBinds() async throws {
        let fixture = try await FederationFixture.start(sites: [FederationFixture.site("edge-1", region: "eu", nodes: 1)],
            kubelet: KubeletConfiguration(startupDelay: .milliseconds(100), jitter: .milliseconds(50)))
        let member = fixture.members["edge-1"]!
        do {
            try await fixture.waitForReadyClusters()
            #expect(try await fixture.kubectl.run(["apply", "-f", Self.catalogDirectory]).status == 0)
            try await TestClient(server: fixture.controlPlane, token: fixture.controlPlane.data.adminToken).using { client in
                let osb = ["X-Broker-API-Version": "2.17"]
                func call(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil, headers: [String: String] = osb) async throws -> TestClient.Reply {
                    try await client.request(method, path, body: body.map { $0.serialized() }, headers: headers)
                }
                let catalog = try await call(.GET, "/osb/v2/catalog")
                #expect(catalog.status == 200)
                let services = catalog.json?["services"]?.arrayValue ?? []
                let echo = try #require(services.first { $0["name"] == "echo" })
                #expect((echo["plans"]?.arrayValue ?? []).isEmpty == false)
                let planID = try #require(echo["plans"]?.arrayValue?.first?["id"]?.stringValue)
                #expect(try await call(.GET, "/osb/v2/catalog", headers: [:]).status == 412)

                let request: JSONValue = ["service_id": "echo", "plan_id": .string(planID),
                                          "context": ["platform": "kubernetes", "namespace": "default"], "parameters": [:]]
                let provisioned = try await call(.PUT, "/osb/v2/service_instances/i-1?accepts_incomplete=true", request)
                #expect([201, 202].contains(provisioned.status), "\(provisioned.text)")
                var state = ""
                try await Self.waitFor("last_operation succeeded", seconds: 60) {
                    state = try await call(.GET, "/osb/v2/service_instances/i-1/last_operation").json?["state"]?.stringValue ?? ""
                    return state == "succeeded" || state == "failed"
                }
                #expect(state == "succeeded")
                #expect(try await member.get(Deployment.descriptor, namespace: "default", name: "i-1")["status"]?["readyReplicas"]?.int64Value == 1)
                // The same object through kubectl.
                #expect(try await fixture.kubectl.run(["get", "serviceinstance", "i-1", "-o", "jsonpath={.spec.offeringName}"]).stdout == "echo")

                let bound = try await call(.PUT, "/osb/v2/service_instances/i-1/service_bindings/b-1", ["service_id": "echo", "plan_id": .string(planID)])
                #expect(bound.status == 201, "\(bound.text)")
                let credentials = bound.json?["credentials"]?.objectValue ?? [:]
                #expect(!credentials.isEmpty && credentials["token"] != nil && credentials["endpoints"]?.arrayValue?.isEmpty == false, "\(bound.text)")

                let unknown = try await call(.PUT, "/osb/v2/service_instances/i-2?accepts_incomplete=true",
                    ["service_id": "nope", "plan_id": "x", "context": ["platform": "kubernetes", "namespace": "default"]])
                #expect(unknown.status == 400 && unknown.json?["description"] != nil, "\(unknown.text)")
                let badParameters = try await call(.PUT, "/osb/v2/service_instances/i-3?accepts_incomplete=true",
                    ["service_id": "echo", "plan_id": .string(planID), "parameters": ["replicas": 0]])
                #expect(badParameters.status == 400 && badParameters.text.contains("spec.parameters.replicas"), "\(badParameters.text)")

                // A service an app registered through MEC 011 is an offering too: bound as it is, its endpoint in the credentials.
                let registered = try await client.request(.POST, "/mec_service_mgmt/v1/applications/app-1/services", json: [
                    "serName": "leaderboard", "version": "1", "state": "ACTIVE", "serializer": "JSON",
                    "transportInfo": ["id": "t", "name": "REST", "type": "REST_HTTP", "protocol": "HTTP", "endpoint": ["uris": ["http://127.0.0.1:9/top"]]]])
                #expect(registered.status == 201, "\(registered.text)")
                let listed = try await client.request(.GET, "/mec_service_mgmt/v1/services?ser_name=leaderboard")
                #expect(listed.json?.arrayValue?.count == 1)
                let serviceID = "mec-" + (registered.json?["serInstanceId"]?.stringValue ?? "")
                #expect([201, 202].contains(try await call(.PUT, "/osb/v2/service_instances/m-1?accepts_incomplete=true",
                    ["service_id": .string(serviceID), "plan_id": .string("\(serviceID)-default"), "context": ["platform": "kubernetes", "namespace": "default"]]).status))
                try await Self.waitFor("the registered service's instance succeeded") {
                    try await call(.GET, "/osb/v2/service_instances/m-1/last_operation").json?["state"]?.stringValue == "succeeded"
                }
                let boundRegistered = try await call(.PUT, "/osb/v2/service_instances/m-1/service_bindings/mb-1", [:])
                #expect(boundRegistered.status == 201)
                #expect(boundRegistered.json?["credentials"]?["endpoints"]?.arrayValue?.first?["endpoint"]?["uris"] == ["http://127.0.0.1:9/top"],
                    "\(boundRegistered.text)")

                let unbound = try await call(.DELETE, "/osb/v2/service_instances/i-1/service_bindings/b-1?service_id=echo&plan_id=\(planID)")
                #expect([200, 202].contains(unbound.status))
                let deprovisioned = try await call(.DELETE, "/osb/v2/service_instances/i-1?service_id=echo&plan_id=\(planID)&accepts_incomplete=true")
                #expect([200, 202].contains(deprovisioned.status), "\(deprovisioned.text)")
                try await Self.waitFor("the workload gone from the member", seconds: 40) {
                    (try? await member.get(Deployment.descriptor, namespace: "default", name: "i-1")) == nil
                }
                try await Self.waitFor("last_operation gone") {
                    try await call(.GET, "/osb/v2/service_instances/i-1/last_operation").status == 410
                }
            }
        } catch {
            Issue.record("\(error)")
        }
        await fixture.stop()
    }
}
}
