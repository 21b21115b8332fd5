import FlotillaAPI
import Foundation
import Testing
@testable import FlotillaControllers

/// A plan's parameter schema and the rendering of an offering's template: pure, table-tested.
@Suite struct CatalogRenderingTests {
    static let schema: JSONValue = try! YAMLCodec.decode("""
        type: object
        additionalProperties: false
        required: [name]
        properties:
          name: {type: string, pattern: "^[a-z]+$", maxLength: 8}
          replicas: {type: integer, minimum: 1, maximum: 5, default: 2}
          mode: {type: string, enum: [fast, safe], default: safe}
          tags: {type: array, items: {type: string}}
        """)

    @Test(arguments: [
        ("{name: abc}", [String]()),
        ("{name: abc, replicas: 9}", ["spec.parameters.replicas"]),
        ("{name: ABC}", ["spec.parameters.name"]),
        ("{name: abcdefghij}", ["spec.parameters.name"]),
        ("{replicas: 2}", ["spec.parameters.name"]),
        ("{name: abc, mode: slow}", ["spec.parameters.mode"]),
        ("{name: abc, colour: red}", ["spec.parameters.colour"]),
        ("{name: abc, replicas: two}", ["spec.parameters.replicas"]),
        ("{name: abc, tags: [a, 3]}", ["spec.parameters.tags[1]"]),
        ("{name: abc, replicas: 2.5}", ["spec.parameters.replicas"]),
    ])
    func parametersAreCheckedWithTheFieldNamed(parameters: String, fields: [String]) throws {
        let value = try YAMLCodec.decode(parameters)
        let errors = JSONSchema(Self.schema).check(value, at: FieldPath("spec.parameters"))
        #expect(errors.map(\.field.description) == fields)
    }

    @Test func defaultsFillWhatIsMissing() throws {
        let filled = JSONSchema(Self.schema).withDefaults(try YAMLCodec.decode("{name: abc}"))
        #expect(filled == ["name": "abc", "replicas": 2, "mode": "safe"])
    }

    @Test func aSchemaWithAnUnsupportedKeywordIsRefused() throws {
        let errors = JSONSchema.problems(in: try YAMLCodec.decode("{type: object, properties: {a: {type: string, format: email}}, oneOf: []}"),
            at: FieldPath("spec.plans[0].parameters"))
        #expect(errors.map(\.field.description) == ["spec.plans[0].parameters.oneOf", "spec.plans[0].parameters.properties[a].format"])
        #expect(!JSONSchema.problems(in: try YAMLCodec.decode("{type: object, properties: {n: {type: integer, default: x}}}"), at: FieldPath("p")).isEmpty)
    }

    static func offering() throws -> ServiceOffering {
        try ServiceOffering(json: try YAMLCodec.decode("""
            apiVersion: catalog.flotilla.io/v1alpha1
            kind: ServiceOffering
            metadata: {name: game}
            spec:
              description: a game
              plans: [{name: small, parameters: {type: object, properties: {replicas: {type: integer, default: 1}, sessions: {type: integer, default: 50}, sites: {type: array, default: []}}}}]
              template:
                manifests:
                - apiVersion: apps/v1
                  kind: Deployment
                  metadata: {name: "{{instance.name}}", labels: {tier: edge}}
                  spec:
                    replicas: "{{parameters.replicas}}"
                    template: {spec: {containers: [{name: s, image: "x:1", env: [{name: SESSIONS, value: "{{parameters.sessions | string}}"}], args: ["--ns={{instance.namespace}}"]}]}}
                - apiVersion: v1
                  kind: Service
                  metadata: {name: "{{instance.name}}"}
                placement: {clusterAffinity: {clusterNames: "{{parameters.sites}}"}}
                appProfile: {latencyBudgetMs: 30}
            """))
    }

    @Test func theTemplateRendersWithTypedValuesLabelsAPolicyAndAProfile() throws {
        let instance = ServiceInstance(metadata: ObjectMeta(name: "g1", namespace: "team"),
            spec: ServiceInstanceSpec(offeringName: "game", planName: "small", parameters: ["replicas": 3, "sites": ["edge-1"]]))
        guard case .success(let rendering) = CatalogRendering.render(offering: try Self.offering(), instance: instance) else {
            Issue.record("renders"); return
        }
        #expect(rendering.objects.map { "\($0.kind ?? "")/\($0.name ?? "")" } == ["Deployment/g1", "Service/g1", "PropagationPolicy/catalog-g1", "AppProfile/g1"])
        let deployment = rendering.objects[0]
        #expect(deployment["spec"]?["replicas"] == 3)
        #expect(deployment.namespace == "team")
        #expect(deployment.labels == ["tier": "edge", "catalog.flotilla.io/instance": "g1", "catalog.flotilla.io/offering": "game"])
        let container = deployment["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first
        #expect(container?["env"]?.arrayValue?.first?["value"] == "50")
        #expect(container?["args"]?.arrayValue?.first == "--ns=team")
        let policy = rendering.objects[2]
        #expect(policy["spec"]?["placement"]?["clusterAffinity"]?["clusterNames"] == ["edge-1"])
        #expect(policy["spec"]?["resourceSelectors"]?.arrayValue?.map { $0["kind"]?.stringValue } == ["Deployment", "Service"])
        #expect(rendering.objects[3]["spec"]?["workloads"]?.arrayValue?.first?["kind"] == "Deployment")
        #expect(rendering.objects[3]["spec"]?["latencyBudgetMs"] == 30)
    }

    @Test func unknownPlansParametersAndPlaceholdersAreFailures() throws {
        let offering = try Self.offering()
        func render(_ plan: String, _ parameters: JSONValue?) -> Result<CatalogRendering, CatalogRendering.Failure> {
            CatalogRendering.render(offering: offering, instance: ServiceInstance(metadata: ObjectMeta(name: "g1", namespace: "team"),
                spec: ServiceInstanceSpec(offeringName: "game", planName: plan, parameters: parameters)))
        }
        guard case .failure(.noPlan("large")) = render("large", nil) else { Issue.record("an unknown plan fails"); return }
        guard case .failure(.invalid(let errors)) = render("small", ["replicas": "many"]) else { Issue.record("a bad parameter fails"); return }
        #expect(errors.map(\.field.description) == ["spec.parameters.replicas"])
        var broken = offering
        broken.spec.template!.manifests[1]["metadata"] = ["name": "{{parameters.missing}}"]
        guard case .failure(.invalid(let unknown)) = CatalogRendering.render(offering: broken, instance: ServiceInstance(
            metadata: ObjectMeta(name: "g1", namespace: "team"), spec: ServiceInstanceSpec(offeringName: "game", planName: "small"))) else {
            Issue.record("an unknown placeholder fails"); return
        }
        #expect(unknown.first?.description.contains("{{parameters.missing}}") == true)
    }
}
