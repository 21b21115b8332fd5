import FlotillaAPI
import Testing
@testable import FlotillaInterpreter

/// Karmada's `kube` helpers, as scripts call them.
@Suite struct KubeLibraryTests {
    func run(_ body: String, _ arguments: [JSONValue] = []) throws(ScriptError) -> JSONValue? {
        try LuaRunner.shared.call("local kube = require('kube')\nfunction F(a, b) \(body) end", chunkName: "kube-test", function: "F",
                                  arguments: arguments, results: 1)[0]
    }

    static let template: JSONValue = [
        "spec": [
            "nodeSelector": ["zone": "a"],
            "containers": [
                ["name": "app", "image": "x", "resources": ["requests": ["cpu": "250m", "memory": "64Mi"]],
                 "env": [["name": "K", "valueFrom": ["secretKeyRef": ["name": "token", "key": "k"]]]],
                 "envFrom": [["configMapRef": ["name": "settings"]]]],
                ["name": "sidecar", "image": "y", "resources": ["limits": ["cpu": "250m"]]],
            ],
            "initContainers": [["name": "init", "image": "z", "resources": ["requests": ["cpu": "1"]]]],
            "volumes": [["name": "data", "persistentVolumeClaim": ["claimName": "data"]], ["name": "c", "configMap": ["name": "settings"]]],
            "serviceAccountName": "runner",
        ],
    ]

    @Test(arguments: [
        ("return kube.resourceAdd('100m', '200m', nil)", JSONValue.string("300m")),
        ("return kube.resourceAdd('1Gi', '512Mi')", .string("1536Mi")),
        ("return kube.resourceAdd()", .string("0")),
        ("return kube.getResourceQuantity('500m')", .double(0.5)),
        ("return kube.getResourceQuantity('2')", .integer(2)),
    ])
    func quantities(body: String, expected: JSONValue) throws {
        #expect(try run(body) == expected)
    }

    @Test func aBadQuantityIsAScriptError() {
        #expect(throws: ScriptError.self) { try run("return kube.resourceAdd('1', 'lots')") }
    }

    @Test func accuratePodRequirementsTakesTheLargerOfContainersAndInitContainers() throws {
        let requirements = try run("return kube.accuratePodRequirements(a)", [Self.template])
        // Containers sum to 500m CPU; the init container asks 1: the larger wins. Memory only from the app container.
        #expect(requirements?["resourceRequest"] == ["cpu": "1", "memory": "64Mi"])
        #expect(requirements?["nodeClaim"]?["nodeSelector"] == ["zone": "a"])
        #expect(try run("return kube.accuratePodRequirements(a)", [["spec": ["containers": [["name": "a"]]]]]) == nil)
    }

    @Test func getPodDependenciesListsWhatTheTemplateRefersTo() throws {
        let dependencies = try run("return kube.getPodDependencies(a, 'games')", [Self.template])?.arrayValue ?? []
        let names = dependencies.map { "\($0["kind"]?.stringValue ?? "")/\($0["name"]?.stringValue ?? "")@\($0["namespace"]?.stringValue ?? "")" }
        #expect(names == ["ConfigMap/settings@games", "PersistentVolumeClaim/data@games", "Secret/token@games", "ServiceAccount/runner@games"])
    }
}
