import FlotillaAPI
import FlotillaTestSupport
import Foundation

/// Runs `body` against a fresh server and client, and always stops both.
func withServer<T>(dataDirectory: URL? = nil, tls: Bool = true, maxRequestsInflight: Int = 400,
                   _ body: (RunningServer, TestClient) async throws -> T) async throws -> T {
    let server = try await RunningServer.start(dataDirectory: dataDirectory, tls: tls, maxRequestsInflight: maxRequestsInflight)
    return try await withCleanup({
        try await TestClient(server: server).using { client in try await body(server, client) }
    }, cleanup: { await server.stop() })
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
