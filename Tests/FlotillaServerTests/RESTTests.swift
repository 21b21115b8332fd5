import FlotillaAPI
import FlotillaTestSupport
import Foundation
import Synchronization
import Testing

@Suite struct RESTTests {
    @Test func createGetListUpdateDelete() async throws {
        try await withServer { (_, client) async throws in
            let created = try await client.request(.POST, policies, json: policyJSON)
            #expect(created.status == 201)
            let object = try #require(created.json)
            #expect(object.uid != nil)
            #expect(object["spec"]?["priority"] == 0)  // Karmada's default
            let fetched = try await client.request(.GET, policies + "/game")
            #expect(fetched.status == 200)
            #expect(fetched.json == object)
            let list = try await client.request(.GET, policies)
            #expect(list.json?["kind"] == "PropagationPolicyList")
            #expect(list.json?["items"]?.arrayValue?.count == 1)
            var changed = object
            changed.setValue(5, at: ["spec", "priority"])
            let updated = try await client.request(.PUT, policies + "/game", json: changed)
            #expect(updated.status == 200)
            #expect(updated.json?.generation == 2)
            // The stale copy loses: 409 Conflict.
            let stale = try await client.request(.PUT, policies + "/game", json: changed)
            #expect(stale.status == 409)
            #expect(stale.json?["reason"] == "Conflict")
            let deleted = try await client.request(.DELETE, policies + "/game")
            #expect(deleted.status == 200)
            #expect(try await client.request(.GET, policies + "/game").status == 404)
        }
    }

    @Test func errorsAreKubernetesStatuses() async throws {
        try await withServer { (_, client) async throws in
            let missing = try await client.request(.GET, policies + "/nope")
            #expect(missing.status == 404)
            #expect(missing.json?["kind"] == "Status")
            #expect(missing.json?["message"] == #"propagationpolicies.policy.karmada.io "nope" not found"#)
            _ = try await client.request(.POST, policies, json: policyJSON)
            let duplicate = try await client.request(.POST, policies, json: policyJSON)
            #expect(duplicate.status == 409)
            #expect(duplicate.json?["reason"] == "AlreadyExists")
            var bad = policyJSON
            bad.setMetadata("name", "Bad_Name")
            let invalid = try await client.request(.POST, policies, json: bad)
            #expect(invalid.status == 422)
            #expect(invalid.json?["details"]?["causes"]?.arrayValue?.first?["field"] == "metadata.name")
            var unplaced = policyJSON
            unplaced.setMetadata("namespace", nil)
            let noNamespace = try await client.request(.POST, "/apis/policy.karmada.io/v1alpha1/namespaces/ghost/propagationpolicies",
                json: unplaced)
            #expect(noNamespace.status == 404)
            #expect(noNamespace.json?["message"] == #"namespaces "ghost" not found"#)
            #expect(try await client.request(.GET, "/apis/nope.io/v1/things").status == 404)
            let malformed = try await client.request(.POST, policies, body: Array("{not json".utf8))
            #expect(malformed.status == 400)
            let protobuf = try await client.request(.POST, policies, body: [0x6b, 0x38, 0x73, 0], contentType: "application/vnd.kubernetes.protobuf")
            #expect(protobuf.status == 415)
            let huge = try await client.request(.POST, policies, body: Array(repeating: 0x20, count: 3 * 1024 * 1024 + 10))
            #expect(huge.status == 413)
            let wrongKind = try await client.request(.POST, deployments, json: policyJSON)
            #expect(wrongKind.status == 400)
            let traversal = try await client.request(.GET, policies + "/..%2F..%2Fetc")
            #expect([400, 404].contains(traversal.status))
        }
    }

    @Test func overloadIsA429WithRetryAfter() async throws {
        try await withServer(maxRequestsInflight: 0) { (_, client) async throws in
            let reply = try await client.request(.GET, policies)
            #expect(reply.status == 429)
            #expect(reply.json?["reason"] == "TooManyRequests")
            #expect(reply.header("Retry-After") == "1")
            #expect(try await client.request(.GET, "/healthz").status == 200)
        }
    }

    @Test func strictFieldValidationNamesTheUnknownField() async throws {
        try await withServer { (_, client) async throws in
            var typo = policyJSON
            typo.setValue(.array([["spreadByField": "cluster", "spreadByFeild": "region"]]), at: ["spec", "placement", "spreadConstraints"])
            let strict = try await client.request(.POST, policies + "?fieldValidation=Strict", json: typo)
            #expect(strict.status == 400)
            #expect(strict.json?["message"]?.stringValue?.contains("spec.placement.spreadConstraints[0].spreadByFeild") == true)
            var warned = typo
            warned.setMetadata("name", "warned")
            let warn = try await client.request(.POST, policies + "?fieldValidation=Warn", json: warned)
            #expect(warn.status == 201)
            #expect(warn.header("Warning")?.contains("spreadByFeild") == true)
            // Fields a template keeps (not modelled, but preserved) are not "unknown".
            var deployment = deploymentJSON
            deployment.setValue(["runAsNonRoot": true], at: ["spec", "template", "spec", "securityContext"])
            #expect(try await client.request(.POST, deployments + "?fieldValidation=Strict", json: deployment).status == 201)
        }
    }

    @Test func patchTypes() async throws {
        try await withServer { (_, client) async throws in
            _ = try await client.request(.POST, deployments, json: deploymentJSON)
            _ = try await client.request(.POST, policies, json: policyJSON)
            let merge = try await client.request(.PATCH, policies + "/game", body: Array(#"{"metadata":{"labels":{"team":"edge"}}}"#.utf8),
                contentType: "application/merge-patch+json")
            #expect(merge.json?.labels == ["team": "edge"])
            let jsonPatch = try await client.request(.PATCH, policies + "/game", body: Array(#"[{"op":"replace","path":"/spec/priority","value":7}]"#.utf8),
                contentType: "application/json-patch+json")
            #expect(jsonPatch.json?["spec"]?["priority"] == 7)
            let strategicOnCustom = try await client.request(.PATCH, policies + "/game", body: Array("{}".utf8),
                contentType: "application/strategic-merge-patch+json")
            #expect(strategicOnCustom.status == 415)
            let strategic = try await client.request(.PATCH, deployments + "/game", body: Array("""
                {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"server"}],"containers":[{"name":"server","$setElementOrder/env":[{"name":"A"}],"env":[{"$patch":"delete","name":"B"}]},{"$patch":"delete","name":"sidecar"}]}}}}
                """.utf8), contentType: "application/strategic-merge-patch+json")
            #expect(strategic.status == 200)
            let containers = strategic.json?.value(at: ["spec", "template", "spec", "containers"])?.arrayValue ?? []
            #expect(containers.count == 1)
            #expect(containers.first?["env"]?.arrayValue?.count == 1)
            let arrayAsMerge = try await client.request(.PATCH, policies + "/game", body: Array("[1,2]".utf8), contentType: "application/merge-patch+json")
            #expect(arrayAsMerge.status == 400)
            let stale = try await client.request(.PATCH, policies + "/game", body: Array(#"{"metadata":{"resourceVersion":"1","labels":{"x":"y"}}}"#.utf8),
                contentType: "application/merge-patch+json")
            #expect(stale.status == 409)
            let failedTest = try await client.request(.PATCH, policies + "/game", body: Array(#"[{"op":"test","path":"/spec/priority","value":99}]"#.utf8),
                contentType: "application/json-patch+json")
            #expect(failedTest.status == 422)
            // Server-side apply creates when missing.
            var applied = policyJSON
            applied.setMetadata("name", "applied")
            let ssa = try await client.request(.PATCH, policies + "/applied?fieldManager=kubectl&force=false", json: applied,
                contentType: "application/apply-patch+yaml")
            #expect(ssa.status == 201)
            let again = try await client.request(.PATCH, policies + "/applied?fieldManager=kubectl", json: applied,
                contentType: "application/apply-patch+yaml")
            #expect(again.status == 200)
        }
    }

    /// Patches without a resourceVersion never fail for losing races: many at once on one object whose status other
    /// clients keep rewriting all land (the demo's rollout once met a 409 when the handler gave up after five immediate
    /// retries).
    @Test func concurrentPatchesWithoutAVersionAllLand() async throws {
        try await withServer { (_, client) async throws in
            _ = try await client.request(.POST, deployments, json: deploymentJSON)
            final class Writing: Sendable { let on = Atomic<Bool>(true) }
            let writing = Writing()
            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                for n in 0..<4 {  // status reporters, as members' are
                    group.addTask {
                        var ready = 0
                        while writing.on.load(ordering: .relaxed) {
                            ready += 1
                            _ = try await client.request(.PATCH, deployments + "/game/status",
                                body: Array(#"{"status":{"readyReplicas":\#(ready),"replicas":\#(n)}}"#.utf8), contentType: "application/merge-patch+json")
                        }
                        return []
                    }
                }
                group.addTask {
                    let statuses = try await withThrowingTaskGroup(of: Int.self) { patches in
                        for n in 0..<32 {
                            patches.addTask {
                                try await client.request(.PATCH, deployments + "/game", body: Array(#"{"metadata":{"labels":{"p\#(n)":"x"}}}"#.utf8),
                                                         contentType: "application/merge-patch+json").status
                            }
                        }
                        return try await patches.reduce(into: []) { $0.append($1) }
                    }
                    writing.on.store(false, ordering: .relaxed)
                    return statuses
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.count == 32 && statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            #expect(try await client.request(.GET, deployments + "/game").json?.labels.count == 32 + (deploymentJSON.labels.count))
        }
    }

    @Test func statusAndScaleSubresources() async throws {
        try await withServer { (_, client) async throws in
            let created = try #require(try await client.request(.POST, deployments, json: deploymentJSON).json)
            // The main resource ignores status.
            var withStatus = created
            withStatus["status"] = ["readyReplicas": 2]
            let mainUpdate = try await client.request(.PUT, deployments + "/game", json: withStatus)
            #expect(mainUpdate.json?["status"]?["readyReplicas"] == nil)
            // The status subresource changes only status, and not generation.
            var statusBody = try #require(mainUpdate.json)
            statusBody["status"] = ["readyReplicas": 2, "observedGeneration": 1]
            statusBody.setValue(9, at: ["spec", "replicas"])
            let statusUpdate = try await client.request(.PUT, deployments + "/game/status", json: statusBody)
            #expect(statusUpdate.status == 200)
            #expect(statusUpdate.json?["status"]?["readyReplicas"] == 2)
            #expect(statusUpdate.json?["spec"]?["replicas"] == 2)
            #expect(statusUpdate.json?.generation == 1)
            let scale = try await client.request(.GET, deployments + "/game/scale")
            #expect(scale.json?["kind"] == "Scale")
            #expect(scale.json?["status"]?["selector"] == "app=game")
            let patched = try await client.request(.PATCH, deployments + "/game/scale", body: Array(#"{"spec":{"replicas":5}}"#.utf8),
                contentType: "application/merge-patch+json")
            #expect(patched.json?["spec"]?["replicas"] == 5)
            // kubectl's PUT …/scale sends no Content-Type.
            var scaleBody = try #require(patched.json)
            scaleBody.setValue(4, at: ["spec", "replicas"])
            let put = try await client.request(.PUT, deployments + "/game/scale", body: scaleBody.serialized(), contentType: nil)
            #expect(put.json?["spec"]?["replicas"] == 4)
            #expect(try await client.request(.GET, policies.replacingOccurrences(of: "propagationpolicies", with: "propagationpolicies/x/scale")).status == 404)
            #expect(try await client.request(.GET, deployments + "/game").json?.generation == 3)
        }
    }

    @Test func finalizersAndDeleteCollection() async throws {
        try await withServer { (_, client) async throws in
            var held = policyJSON
            held.setMetadata("finalizers", ["flotilla.io/hold"])
            _ = try await client.request(.POST, policies, json: held)
            let pending = try await client.request(.DELETE, policies + "/game", json: ["propagationPolicy": "Background"])
            #expect(pending.status == 200)
            #expect(pending.json?.deletionTimestamp != nil)
            let release = try await client.request(.PATCH, policies + "/game", body: Array(#"{"metadata":{"finalizers":null}}"#.utf8),
                contentType: "application/merge-patch+json")
            #expect(release.status == 200)
            #expect(try await client.request(.GET, policies + "/game").status == 404)
            for name in ["a", "b", "c"] {
                var policy = policyJSON
                policy.setMetadata("name", .string(name))
                policy.setMetadata("labels", ["batch": name == "c" ? "keep" : "drop"])
                _ = try await client.request(.POST, policies, json: policy)
            }
            let collection = try await client.request(.DELETE, policies + "?labelSelector=batch%3Ddrop")
            #expect(collection.json?["items"]?.arrayValue?.count == 2)
            #expect(try await client.request(.GET, policies).json?["items"]?.arrayValue?.compactMap(\.name) == ["c"])
            let badPolicy = try await client.request(.DELETE, policies + "/c", json: ["propagationPolicy": "Sideways"])
            #expect(badPolicy.status == 422)
        }
    }

    @Test func listSelectorsAndPagination() async throws {
        try await withServer { (_, client) async throws in
            for i in 0..<7 {
                var policy = policyJSON
                policy.setMetadata("name", .string("p\(i)"))
                policy.setMetadata("labels", ["even": i % 2 == 0 ? "yes" : "no"])
                _ = try await client.request(.POST, policies, json: policy)
            }
            let even = try await client.request(.GET, policies + "?labelSelector=even%3Dyes")
            #expect(even.json?["items"]?.arrayValue?.count == 4)
            let byName = try await client.request(.GET, policies + "?fieldSelector=metadata.name%3Dp3")
            #expect(byName.json?["items"]?.arrayValue?.compactMap(\.name) == ["p3"])
            let unsupported = try await client.request(.GET, policies + "?fieldSelector=spec.priority%3D1")
            #expect(unsupported.status == 400)
            #expect(unsupported.json?["message"] == "field label not supported: spec.priority")
            let badSelector = try await client.request(.GET, policies + "?labelSelector=a%20in%20(")
            #expect(badSelector.status == 400)
            var names: [String] = []
            var token = ""
            repeat {
                let page = try await client.request(.GET, policies + "?limit=3" + (token.isEmpty ? "" : "&continue=\(token)"))
                names += page.json?["items"]?.arrayValue?.compactMap(\.name) ?? []
                token = page.json?["metadata"]?["continue"]?.stringValue ?? ""
            } while !token.isEmpty
            #expect(names == (0..<7).map { "p\($0)" })
            let all = try await client.request(.GET, "/apis/policy.karmada.io/v1alpha1/propagationpolicies")
            #expect(all.json?["items"]?.arrayValue?.count == 7)
        }
    }

    @Test func tablesForKubectlGet() async throws {
        try await withServer { (_, client) async throws in
            _ = try await client.request(.POST, deployments, json: deploymentJSON)
            let table = try await client.request(.GET, deployments, headers: [
                "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"])
            let json = try #require(table.json)
            #expect(json["kind"] == "Table")
            #expect(json["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ==
                ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"])
            let row = try #require(json["rows"]?.arrayValue?.first)
            #expect(row["cells"]?.arrayValue?.prefix(2).map { $0 } == ["game", "0/2"])
            #expect(row["object"]?["kind"] == "PartialObjectMetadata")
            #expect(row["object"]?["metadata"]?["namespace"] == "default")
        }
    }
}
