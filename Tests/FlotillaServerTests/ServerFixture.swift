import FlotillaAPI
import FlotillaTestSupport
import Foundation

/// Runs `body` against a fresh server and client, and always stops both.
func withServer<T>(tls: Bool = true, _ body: (RunningServer, TestClient) async throws -> T) async throws -> T {
    let server = try await RunningServer.start(tls: tls)
    let client = try TestClient(server: server)
    do {
        let result = try await body(server, client)
        try await client.shutdown()
        await server.stop()
        return result
    } catch {
        try? await client.shutdown()
        await server.stop()
        throw error
    }
}

let policyJSON: JSONValue = [
    "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
    "metadata": ["name": "game", "namespace": "default"],
    "spec": ["resourceSelectors": [["apiVersion": "apps/v1", "kind": "Deployment", "name": "game"]],
             "placement": ["replicaScheduling": ["replicaSchedulingType": "Divided"]]],
]

let deploymentJSON: JSONValue = [
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": ["name": "game", "namespace": "default", "labels": ["app": "game"]],
    "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "game"]],
             "template": ["metadata": ["labels": ["app": "game"]],
                          "spec": ["containers": [["name": "server", "image": "game:1", "env": [["name": "A", "value": "1"], ["name": "B", "value": "2"]]],
                                                  ["name": "sidecar", "image": "proxy:1"]]]]],
]

let policies = "/apis/policy.karmada.io/v1alpha1/namespaces/default/propagationpolicies"
let deployments = "/apis/apps/v1/namespaces/default/deployments"
