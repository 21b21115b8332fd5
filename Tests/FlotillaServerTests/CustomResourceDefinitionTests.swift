import FlotillaAPI
import FlotillaTestSupport
import Foundation
import Testing

/// CustomResourceDefinitions over HTTP, as kube-apiserver serves them: the kind appears in discovery, objects are
/// pruned, defaulted and checked with field paths, the subresources and printer columns work, versions convert with
/// `None`, and a CRD's lifecycle (names, deletion, another replica's changes, a restart) is Kubernetes'.
@Suite struct CustomResourceDefinitionTests {
    static let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    static let widgets = "/apis/example.com/v1/namespaces/default/widgets"

    static func definition(name: String = "widgets.example.com", plural: String = "widgets", kind: String = "Widget",
                           versions: [String] = ["v1"], scope: String = "Namespaced") -> JSONValue {
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "spec": ["type": "object", "required": ["size"], "properties": [
                    "size": ["type": "integer", "minimum": 1, "maximum": 10],
                    "color": ["type": "string", "enum": ["red", "blue"], "default": "red"],
                    "replicas": ["type": "integer", "default": 1],
                    "labels": ["type": "object", "additionalProperties": ["type": "string", "maxLength": 5]],
                    "free": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                    "port": ["x-kubernetes-int-or-string": true],
                    "when": ["type": "string", "format": "date-time", "nullable": true],
                ]],
                "status": ["type": "object", "properties": ["ready": ["type": "integer"], "selector": ["type": "string"]]],
            ],
        ]
        let versionList: [JSONValue] = versions.enumerated().map { offset, version in
            ["name": .string(version), "served": true, "storage": .bool(offset == 0), "schema": ["openAPIV3Schema": schema],
             "subresources": ["status": [:], "scale": ["specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.ready",
                                                       "labelSelectorPath": ".status.selector"]],
             "additionalPrinterColumns": [["name": "Size", "type": "integer", "jsonPath": ".spec.size"],
                                          ["name": "Color", "type": "string", "jsonPath": ".spec.color", "priority": 1]],
             "selectableFields": [["jsonPath": ".spec.color"]]]
        }
        return ["apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": .string(name)],
                "spec": ["group": "example.com", "scope": .string(scope),
                         "names": ["plural": .string(plural), "kind": .string(kind), "shortNames": ["wd"]],
                         "versions": .array(versionList)]]
    }

    static func widget(_ name: String, size: Int64 = 3, extra: [String: JSONValue] = [:], apiVersion: String = "example.com/v1") -> JSONValue {
        var spec: JSONObject = ["size": .integer(size)]
        for (key, value) in extra { spec[key] = value }
        return ["apiVersion": .string(apiVersion), "kind": "Widget", "metadata": ["name": .string(name), "namespace": "default"],
                "spec": .object(spec)]
    }

    @Test func aDefinedKindIsDiscoveredAdmittedAndServed() async throws {
        try await withServer { (_: RunningServer, client: TestClient) async throws -> Void in
            let created = try await client.request(.POST, Self.crds, json: Self.definition())
            #expect(created.status == 201, "\(created.text)")
            // Established in the create's answer, with the names accepted and the storage version recorded.
            let status = created.json?["status"]
            #expect(status?["conditions"]?.arrayValue?.contains { $0["type"] == "Established" && $0["status"] == "True" } == true, "\(created.text)")
            #expect(status?["storedVersions"] == ["v1"])
            let discovery = try await client.request(.GET, "/apis/example.com/v1")
            let resources = discovery.json?["resources"]?.arrayValue ?? []
            #expect(resources.map { $0["name"]?.stringValue ?? "" }.sorted() == ["widgets", "widgets/scale", "widgets/status"], "\(discovery.text)")
            #expect(resources.first { $0["name"] == "widgets" }?["shortNames"] == ["wd"])

            // Pruned, defaulted, kept where the schema preserves unknown fields.
            let made = try await client.request(.POST, Self.widgets + "?fieldValidation=Warn", json: Self.widget("a", extra: [
                "bogus": 1, "free": ["anything": ["goes": true]], "port": "http", "when": .null]))
            #expect(made.status == 201, "\(made.text)")
            #expect(made.header("Warning")?.contains("unknown field \"spec.bogus\"") == true, "\(made.headers)")
            #expect(made.json?["spec"]?["bogus"] == nil)
            #expect(made.json?["spec"]?["color"] == "red")
            #expect(made.json?["spec"]?["free"]?["anything"]?["goes"] == true)
            let strict = try await client.request(.POST, Self.widgets + "?fieldValidation=Strict", json: Self.widget("b", extra: ["bogus": 1]))
            #expect(strict.status == 400 && strict.text.contains("spec.bogus"), "\(strict.text)")

            // Field selectors from selectableFields.
            _ = try await client.request(.POST, Self.widgets, json: Self.widget("c", extra: ["color": "blue"]))
            let blue = try await client.request(.GET, Self.widgets + "?fieldSelector=spec.color%3Dblue")
            #expect(blue.json?["items"]?.arrayValue?.map { $0.name ?? "" } == ["c"], "\(blue.text)")
        }
    }

    /// Each rule the schema states, broken once: the 422 names the field.
    static let violations: [(String, [String: JSONValue], String)] = [
        ("over the maximum", ["size": 11], "spec.size"),
        ("a string for an integer", ["size": "big"], "spec.size"),
        ("not in the enum", ["color": "green"], "spec.color"),
        ("too long a map value", ["labels": ["a": "toolong"]], "spec.labels[a]"),
        ("a bool for int-or-string", ["port": true], "spec.port"),
        ("not a date-time", ["when": "yesterday"], "spec.when"),
    ]

    @Test(arguments: violations)
    func aSchemaViolationIsRefusedWithItsFieldPath(_ violation: (String, [String: JSONValue], String)) async throws {
        try await withServer { (_: RunningServer, client: TestClient) async throws -> Void in
            #expect(try await client.request(.POST, Self.crds, json: Self.definition()).status == 201)
            let refused = try await client.request(.POST, Self.widgets, json: Self.widget("x", extra: violation.1))
            #expect(refused.status == 422, "\(violation.0): \(refused.text)")
            let causes = refused.json?["details"]?["causes"]?.arrayValue ?? []
            #expect(causes.contains { $0["field"]?.stringValue == violation.2 }, "\(violation.0): \(refused.text)")
            // A missing required field, too.
            var missing = Self.widget("y")
            missing.setValue(nil, at: ["spec", "size"])
            let required = try await client.request(.POST, Self.widgets, json: missing)
            #expect(required.status == 422 && required.text.contains("spec.size"), "\(required.text)")
        }
    }

    @Test func statusScaleAndPrinterColumns() async throws {
        try await withServer { (_: RunningServer, client: TestClient) async throws -> Void in
            #expect(try await client.request(.POST, Self.crds, json: Self.definition()).status == 201)
            var widget = Self.widget("w")
            widget["status"] = ["ready": 9]
            let created = try await client.request(.POST, Self.widgets, json: widget)
            #expect(created.json?["status"] == nil, "status is written through /status only")
            var withStatus = try #require(created.json)
            withStatus["status"] = ["ready": 2, "selector": "app=w"]
            withStatus.setValue(.integer(7), at: ["spec", "size"])
            let statusWrite = try await client.request(.PUT, Self.widgets + "/w/status", json: withStatus)
            #expect(statusWrite.status == 200)
            #expect(statusWrite.json?["status"]?["ready"] == 2)
            #expect(statusWrite.json?["spec"]?["size"] == 3, "the status subresource changes nothing but status")

            let scale = try await client.request(.GET, Self.widgets + "/w/scale")
            #expect(scale.json?["spec"]?["replicas"] == 1 && scale.json?["status"]?["replicas"] == 2, "\(scale.text)")
            #expect(scale.json?["status"]?["selector"] == "app=w")
            let scaled = try await client.request(.PATCH, Self.widgets + "/w/scale", json: ["spec": ["replicas": 5]],
                                                  contentType: "application/merge-patch+json")
            #expect(scaled.status == 200 && scaled.json?["spec"]?["replicas"] == 5, "\(scaled.text)")
            #expect(try await client.request(.GET, Self.widgets + "/w").json?["spec"]?["replicas"] == 5)

            let table = try await client.request(.GET, Self.widgets, body: nil,
                headers: ["Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"])
            let columns = table.json?["columnDefinitions"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" }
            #expect(columns == ["Name", "Size", "Color"], "\(table.text)")
            #expect(table.json?["columnDefinitions"]?.arrayValue?.last?["priority"] == 1)
            #expect(table.json?["rows"]?.arrayValue?.first?["cells"] == ["w", 3, "red"], "\(table.text)")
        }
    }

    @Test func versionsConvertWithNoneAndTheStorageVersionIsKept() async throws {
        try await withServer { (server: RunningServer, client: TestClient) async throws -> Void in
            #expect(try await client.request(.POST, Self.crds, json: Self.definition(versions: ["v1", "v1beta1"])).status == 201)
            let beta = "/apis/example.com/v1beta1/namespaces/default/widgets"
            let created = try await client.request(.POST, beta, json: Self.widget("old", apiVersion: "example.com/v1beta1"))
            #expect(created.status == 201 && created.json?["apiVersion"] == "example.com/v1beta1", "\(created.text)")
            let stored = try await server.store.get(GroupResource(group: "example.com", resource: "widgets"), namespace: "default", name: "old")
            #expect(stored["apiVersion"] == "example.com/v1")
            #expect(try await client.request(.GET, Self.widgets + "/old").json?["apiVersion"] == "example.com/v1")
            #expect(try await client.request(.GET, beta + "/old").json?["apiVersion"] == "example.com/v1beta1")
            // A stored version cannot be dropped from the list.
            var current = try #require(try await client.request(.GET, Self.crds + "/widgets.example.com").json)
            var versions = current["spec"]?["versions"]?.arrayValue ?? []
            versions.removeFirst()
            versions[0]["storage"] = true
            current.setValue(.array(versions), at: ["spec", "versions"])
            let dropped = try await client.request(.PUT, Self.crds + "/widgets.example.com", json: current)
            #expect(dropped.status == 422 && dropped.text.contains("status.storedVersions"), "\(dropped.text)")
        }
    }

    /// Each way a CRD itself is wrong, refused with the field.
    static let badDefinitions: [(String, @Sendable (inout JSONValue) -> Void, String)] = [
        ("name is not plural.group", { $0.setMetadata("name", "gadgets.example.com") }, "metadata.name"),
        ("group without a dot", { $0.setValue("example", at: ["spec", "group"]) }, "spec.group"),
        ("two storage versions", { definition in
            var versions = definition["spec"]?["versions"]?.arrayValue ?? []
            var second = versions[0]
            second["name"] = "v2"
            versions.append(second)
            definition.setValue(.array(versions), at: ["spec", "versions"])
        }, "spec.versions"),
        ("a webhook conversion", { $0.setValue(["strategy": "Webhook"], at: ["spec", "conversion"]) }, "spec.conversion.strategy"),
        ("a node without a type", { definition in
            var versions = definition["spec"]?["versions"]?.arrayValue ?? []
            versions[0].setValue(["description": "no type"], at: ["schema", "openAPIV3Schema", "properties", "spec", "properties", "loose"])
            definition.setValue(.array(versions), at: ["spec", "versions"])
        }, "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[loose].type"),
        ("a $ref", { definition in
            var versions = definition["spec"]?["versions"]?.arrayValue ?? []
            versions[0].setValue(["$ref": "#/x"], at: ["schema", "openAPIV3Schema", "properties", "spec", "properties", "ref"])
            definition.setValue(.array(versions), at: ["spec", "versions"])
        }, "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[ref].$ref"),
        ("a printer column with a filter", { definition in
            var versions = definition["spec"]?["versions"]?.arrayValue ?? []
            versions[0]["additionalPrinterColumns"] = [["name": "X", "type": "string", "jsonPath": ".spec.items[?(@.a)]"]]
            definition.setValue(.array(versions), at: ["spec", "versions"])
        }, "spec.versions[0].additionalPrinterColumns[0].jsonPath"),
        ("a scale path outside spec", { definition in
            var versions = definition["spec"]?["versions"]?.arrayValue ?? []
            versions[0].setValue(".status.ready", at: ["subresources", "scale", "specReplicasPath"])
            definition.setValue(.array(versions), at: ["spec", "versions"])
        }, "spec.versions[0].subresources.scale.specReplicasPath"),
    ]

    @Test(arguments: badDefinitions)
    func aBrokenDefinitionIsRefused(_ case_: (String, @Sendable (inout JSONValue) -> Void, String)) async throws {
        try await withServer { (_: RunningServer, client: TestClient) async throws -> Void in
            var definition = Self.definition()
            case_.1(&definition)
            let refused = try await client.request(.POST, Self.crds, json: definition)
            #expect(refused.status == 422, "\(case_.0): \(refused.text)")
            let fields = (refused.json?["details"]?["causes"]?.arrayValue ?? []).compactMap { $0["field"]?.stringValue }
            #expect(fields.contains(case_.2), "\(case_.0): \(fields)")
            #expect(try await client.request(.GET, "/apis/example.com/v1").status == 404, "nothing of a refused CRD is served")
        }
    }

    @Test func unevaluatedRulesAreWarnedAndAClashingCRDIsNotServed() async throws {
        try await withServer { (_: RunningServer, client: TestClient) async throws -> Void in
            var definition = Self.definition()
            var versions = definition["spec"]?["versions"]?.arrayValue ?? []
            versions[0].setValue([["rule": "self.size < 5"]], at: ["schema", "openAPIV3Schema", "properties", "spec", "x-kubernetes-validations"])
            definition.setValue(.array(versions), at: ["spec", "versions"])
            let warned = try await client.request(.POST, Self.crds, json: definition)
            #expect(warned.status == 201)
            #expect(warned.header("Warning")?.contains("x-kubernetes-validations is accepted but not evaluated") == true, "\(warned.headers)")

            // Another CRD wanting the same kind in the group: stored, not served, NamesAccepted=False.
            let clash = try await client.request(.POST, Self.crds, json: Self.definition(name: "gadgets.example.com", plural: "gadgets"))
            #expect(clash.status == 201)
            let conditions = clash.json?["status"]?["conditions"]?.arrayValue ?? []
            #expect(conditions.contains { $0["type"] == "NamesAccepted" && $0["status"] == "False" }, "\(clash.text)")
            #expect(try await client.request(.GET, "/apis/example.com/v1/namespaces/default/gadgets").status == 404)
        }
    }

    @Test func deletingADefinitionDeletesItsObjectsAndStopsServingIt() async throws {
        try await withServer { (server: RunningServer, client: TestClient) async throws -> Void in
            #expect(try await client.request(.POST, Self.crds, json: Self.definition()).status == 201)
            #expect(try await client.request(.POST, Self.widgets, json: Self.widget("a")).status == 201)
            #expect(try await client.request(.DELETE, Self.crds + "/widgets.example.com").status == 200)
            #expect(try await server.store.list(GroupResource(group: "example.com", resource: "widgets"), options: .init()).items.isEmpty)
            #expect(try await client.request(.GET, Self.widgets).status == 404)
            #expect(try await client.request(.GET, "/apis").json?["groups"]?.arrayValue?.contains { $0["name"] == "example.com" } == false)
        }
    }

    /// Fault: the CRD is deleted through another replica of the control plane (here: straight from the shared
    /// store). This replica still has the kind cached, and must neither write an object of it nor keep serving it.
    @Test func aDefinitionDeletedElsewhereIsNeverWrittenTo() async throws {
        try await withServer { (server: RunningServer, client: TestClient) async throws -> Void in
            #expect(try await client.request(.POST, Self.crds, json: Self.definition()).status == 201)
            #expect(try await client.request(.POST, Self.widgets, json: Self.widget("a")).status == 201)
            let resource = GroupResource(group: "example.com", resource: "widgets")
            _ = try await server.store.delete(resource, namespace: "default", name: "a", options: .none)
            _ = try await server.store.delete(CustomResourceDefinition.descriptor.groupResource, namespace: nil, name: "widgets.example.com",
                                              options: .none)
            let refused = try await client.request(.POST, Self.widgets, json: Self.widget("b"))
            #expect(refused.status == 404, "\(refused.text)")
            #expect(try await server.store.list(resource, options: .init()).items.isEmpty, "nothing was written")
            // And a CRD created elsewhere is served here at its first request.
            _ = try await server.store.create(CustomResourceDefinition.descriptor.groupResource,
                try CustomResourceDefinition.admit(Self.definition()).get(), options: .none)
            #expect(try await client.request(.POST, Self.widgets, json: Self.widget("c")).status == 201)
        }
    }

    /// Restart: the kinds of stored CRDs are served again before the first request.
    @Test func definitionsSurviveARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crd-restart-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withServer(dataDirectory: directory) { (_: RunningServer, client: TestClient) async throws -> Void in
            #expect(try await client.request(.POST, Self.crds, json: Self.definition()).status == 201)
            #expect(try await client.request(.POST, Self.widgets, json: Self.widget("kept")).status == 201)
        }
        try await withServer(dataDirectory: directory) { (_: RunningServer, client: TestClient) async throws -> Void in
            let kept = try await client.request(.GET, Self.widgets + "/kept")
            #expect(kept.status == 200 && kept.json?["spec"]?["size"] == 3, "\(kept.text)")
            #expect(try await client.request(.GET, "/apis/example.com/v1").status == 200)
        }
    }

    @Test func aClaimsSpecIsImmutableButItsStorageMayGrow() async throws {
        try await withServer { (_: RunningServer, client: TestClient) async throws -> Void in
            let path = "/api/v1/namespaces/default/persistentvolumeclaims"
            let claim: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": "data", "namespace": "default"],
                                    "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]
            #expect(try await client.request(.POST, path, json: claim).status == 201)
            let grown = try await client.request(.PATCH, path + "/data", json: ["spec": ["resources": ["requests": ["storage": "2Gi"]]]],
                                                 contentType: "application/merge-patch+json")
            #expect(grown.status == 200, "\(grown.text)")
            let shrunk = try await client.request(.PATCH, path + "/data", json: ["spec": ["resources": ["requests": ["storage": "1Gi"]]]],
                                                  contentType: "application/merge-patch+json")
            #expect(shrunk.status == 422 && shrunk.text.contains("can not be less than previous value"), "\(shrunk.text)")
            let changed = try await client.request(.PATCH, path + "/data", json: ["spec": ["accessModes": ["ReadWriteMany"]]],
                                                   contentType: "application/merge-patch+json")
            #expect(changed.status == 422 && changed.text.contains("immutable"), "\(changed.text)")
        }
    }
}
