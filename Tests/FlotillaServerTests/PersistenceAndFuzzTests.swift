import FlotillaAPI
import FlotillaTestSupport
import Foundation
import Testing

@Suite struct RestartTests {
    @Test func objectsCAAndTokenSurviveARestart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-restart-\(UUID().uuidString)")
        let (created, token, ca) = try await withServer(dataDirectory: dir) { first, client in
            (try #require(try await client.request(.POST, policies, json: policyJSON).json), first.data.adminToken,
             first.data.authority.certificatePEM)
        }
        try await withServer(dataDirectory: dir) { second, again in
            #expect(second.data.adminToken == token)
            #expect(second.data.authority.certificatePEM == ca)
            #expect(try await again.request(.GET, policies + "/game").json == created)
            let kubeconfig = try String(contentsOf: second.data.adminKubeconfig, encoding: .utf8)
            #expect(kubeconfig.contains("127.0.0.1:\(second.port)"))
        }
    }
}

/// Generates malformed requests of many shapes and checks that none crashes the server or yields a 5xx, and that
/// the stored objects are unchanged afterwards.
@Suite struct FuzzTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    }

    static let paths = [
        policies, policies + "/game", policies + "/game/status", deployments + "/game/scale", deployments, "/api/v1/namespaces",
        "/api/v1/namespaces/default", "/apis/policy.karmada.io/v1alpha1/propagationpolicies", "/apis/nope/v1/x", "/api/v1/namespaces/default/configmaps/..",
        "/apis/cluster.karmada.io/v1alpha1/clusters/%2e%2e", "/apis", "/api", "/apis/apps/v1/namespaces/default/deployments/game/status",
        policies + "?labelSelector=%28%28", policies + "?fieldSelector=spec.x%3D1", policies + "?limit=-4", policies + "?continue=zzzz&limit=1",
        policies + "?watch=true&resourceVersion=abc", "/apis/work.karmada.io/v1alpha2/namespaces/default/resourcebindings",
    ]
    static let contentTypes: [String?] = [
        nil, "application/json", "application/yaml", "application/merge-patch+json", "application/json-patch+json",
        "application/strategic-merge-patch+json", "application/apply-patch+yaml", "text/plain", "application/vnd.kubernetes.protobuf",
    ]
    static let bodies: [String] = [
        "", "{", "[]", "null", "42", "\"x\"", "{\"metadata\":5}", "{\"metadata\":{\"name\":7}}", "[{\"op\":\"bogus\"}]",
        "{\"apiVersion\":\"v9\",\"kind\":\"Nope\"}", "{\"spec\":{\"replicas\":\"many\"}}", "{\"metadata\":{\"name\":\"Bad Name\"}}",
        "{\"spec\":{\"resourceSelectors\":[{}]}}", "\u{0}\u{1}\u{2}", "{\"a\":" + String(repeating: "[", count: 600), "[{\"op\":\"add\",\"path\":\"/x/y/z\",\"value\":1}]",
        "{\"metadata\":{\"resourceVersion\":\"-1\"}}", "{\"spec\":{\"placement\":{\"spreadConstraints\":[{\"spreadByField\":\"moon\"}]}}}",
        "{\"metadata\":{\"$patch\":\"delete\"}}", "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"$patch\":\"delete\"}]}}}}",
    ]

    @Test func tenThousandMalformedRequestsNeverCrashOrFail500() async throws {
        try await withServer { (_, client) async throws in
            _ = try await client.request(.POST, deployments, json: deploymentJSON)
            _ = try await client.request(.POST, policies, json: policyJSON)
            let before = try await client.request(.GET, policies + "/game").json
            var generator = Generator(state: 0x9E37_79B9_7F4A_7C15)
            var serverErrors: [String] = []
            var codes: [Int: Int] = [:]
            for _ in 0..<10_000 {
                let method = generator.pick([HTTPMethod.GET, .POST, .PUT, .PATCH, .DELETE])
                let path = generator.pick(Self.paths)
                var body = Array(generator.pick(Self.bodies).utf8)
                if generator.next() % 5 == 0, !body.isEmpty {
                    // Flip a byte to reach the parsers' error paths.
                    let index = Int(generator.next() % UInt64(body.count))
                    body[index] ^= UInt8(truncatingIfNeeded: generator.next())
                }
                // Never delete the objects compared afterwards.
                let safeMethod = method == .DELETE && path.hasSuffix("/game") ? HTTPMethod.GET : method
                let reply = try await client.request(safeMethod, path, body: safeMethod == .GET ? nil : body,
                    contentType: generator.pick(Self.contentTypes))
                codes[reply.status, default: 0] += 1
                if reply.status >= 500 { serverErrors.append("\(safeMethod) \(path) → \(reply.status): \(reply.text.prefix(200))") }
            }
            #expect(serverErrors.isEmpty, "\(serverErrors.prefix(5))")
            #expect(codes.values.reduce(0, +) == 10_000)
            #expect(try await client.request(.GET, "/healthz").status == 200)
            // What the fuzzer could legally change it may have changed; the original object, if still there, is intact
            // or changed only through valid writes. The deployment named "game" must still decode.
            let after = try await client.request(.GET, deployments + "/game")
            if after.status == 200 { #expect(try Deployment(json: after.json!).metadata.name == "game") }
            _ = before
        }
    }
}
