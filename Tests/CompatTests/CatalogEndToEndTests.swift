import EdgeClusterSim
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// The service catalog through kubectl: an offering from manifests/catalog, an instance provisioned onto a joined
/// site, a binding's Secret, bad parameters named by field, and a deletion that reaches the member.
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
            #expect(try await kubectl.run(["get", "secret", "hello-app", "-o", "jsonpath={.data.token}"]).stdout.count > 40)

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
            #expect(try await kubectl.run(["delete", "serviceinstance", "hello", "wrong"]).status == 0)
            try await Self.waitFor("the workload gone from the member", seconds: 40) {
                (try? await member.get(Deployment.descriptor, namespace: "default", name: "hello")) == nil
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
}
