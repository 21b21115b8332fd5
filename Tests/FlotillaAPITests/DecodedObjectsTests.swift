import FlotillaAPI
import Testing

@Suite struct DecodedObjectsTests {
    static func configMap(_ name: String, uid: String, version: String, value: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap",
         "metadata": ["name": .string(name), "namespace": "default", "uid": .string(uid), "resourceVersion": .string(version)],
         "data": ["value": .string(value)]]
    }

    @Test func decodesAnObjectOncePerResourceVersion() {
        var cache = DecodedObjects<ConfigMap>()
        #expect(cache.decode([Self.configMap("a", uid: "u1", version: "1", value: "one")]).map { $0.data?["value"] } == ["one"])
        // Same uid and resourceVersion: the cached value, even though this JSON says otherwise (the store never does this).
        #expect(cache.decode([Self.configMap("a", uid: "u1", version: "1", value: "changed")]).map { $0.data?["value"] } == ["one"])
        // A write moves the resourceVersion: decoded again.
        #expect(cache.decode([Self.configMap("a", uid: "u1", version: "2", value: "two")]).map { $0.data?["value"] } == ["two"])
    }

    @Test func aRecreatedObjectIsNotMistakenForItsPredecessor() {
        var cache = DecodedObjects<ConfigMap>()
        _ = cache.decode([Self.configMap("a", uid: "u1", version: "5", value: "old")])
        #expect(cache.decode([Self.configMap("a", uid: "u2", version: "5", value: "new")]).map { $0.data?["value"] } == ["new"])
    }

    @Test func forgetsUnlistedObjectsAndSkipsWhatDoesNotDecode() {
        var cache = DecodedObjects<ConfigMap>()
        _ = cache.decode([Self.configMap("a", uid: "u1", version: "1", value: "one")])
        _ = cache.decode([])
        // Forgotten: the same version is decoded afresh.
        #expect(cache.decode([Self.configMap("a", uid: "u1", version: "1", value: "fresh")]).map { $0.data?["value"] } == ["fresh"])
        var broken = Self.configMap("b", uid: "u3", version: "1", value: "x")
        broken["data"] = "not an object"
        let decoded = cache.decode([broken, Self.configMap("c", uid: "u4", version: "1", value: "kept")])
        #expect(decoded.map { $0.metadata.name } == ["c"])
    }
}
