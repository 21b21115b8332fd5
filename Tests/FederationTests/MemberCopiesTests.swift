import FlotillaAPI
@testable import FlotillaControllers
import KubeClient
import Testing

/// A worker's copies of a member's objects, held as bytes: what goes in comes back out, events replace and remove
/// copies, and the spec version is known without parsing.
@Suite struct MemberCopiesTests {
    static func deployment(_ name: String, generation: Int64?, ready: Int64 = 0, resourceVersion: String = "5") -> JSONValue {
        var metadata: JSONValue = ["name": .string(name), "namespace": "games", "resourceVersion": .string(resourceVersion),
                                   "labels": ["karmada.io/managed": "true", "work.karmada.io/name": .string("\(name)-work")]]
        if let generation { metadata["generation"] = .integer(generation) }
        return ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
                "spec": ["replicas": 2, "template": ["spec": ["containers": [["name": "c", "image": "nginx:1.25"]]]]],
                "status": ["readyReplicas": .integer(ready), "conditions": [["type": "Available", "status": "True", "message": "é \"q\""]]]]
    }

    @Test func copiesComeBackAsTheyWentIn() throws {
        var copies = MemberCopies()
        #expect(!copies.synced)
        let a = Self.deployment("a", generation: 1), b = Self.deployment("b", generation: nil, resourceVersion: "9")
        copies.apply(.synced([a, b]))
        #expect(copies.synced)
        #expect(copies.object(for: a) == a)
        #expect(copies.contains(b))
        #expect(copies.specVersion(of: a) == "g:1")
        // No generation: the resourceVersion stands in, as Karmada's ObjectVersion.
        #expect(copies.specVersion(of: b) == "r:9")

        let ready = Self.deployment("a", generation: 2, ready: 2, resourceVersion: "6")
        copies.apply(.modified(ready))
        #expect(copies.object(for: a)?["status"]?["readyReplicas"] == 2)
        #expect(copies.specVersion(of: a) == "g:2")

        copies.apply(.deleted(b))
        #expect(!copies.contains(b))
        #expect(copies.object(for: b) == nil)
        #expect(copies.specVersion(of: b) == nil)

        // A relist replaces everything.
        copies.apply(.synced([b]))
        #expect(!copies.contains(a))
        #expect(copies.object(for: b) == b)
    }
}
