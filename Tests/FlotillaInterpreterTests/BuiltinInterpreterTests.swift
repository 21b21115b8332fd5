import FlotillaAPI
import Testing
@testable import FlotillaInterpreter

/// The built-in interpreters, one table per operation, against Karmada's native interpreter's behaviour.
@Suite struct BuiltinInterpreterTests {
    static let podTemplate: JSONValue = ["spec": ["containers": [["name": "a", "image": "x", "resources": ["requests": ["cpu": "100m"]],
                                                                  "envFrom": [["configMapRef": ["name": "cfg"]]]]]]]

    static func object(_ apiVersion: String, _ kind: String, spec: JSONValue = .object([:]), status: JSONValue? = nil, generation: Int64 = 1) -> JSONValue {
        var object: JSONValue = ["apiVersion": .string(apiVersion), "kind": .string(kind),
                                 "metadata": ["name": "w", "namespace": "games", "generation": .integer(generation)], "spec": spec]
        if let status { object["status"] = status }
        return object
    }

    static let replicaCases: [(JSONValue, Int32?)] = [
        (object("apps/v1", "Deployment", spec: ["replicas": 3, "template": podTemplate]), 3),
        (object("apps/v1", "Deployment", spec: ["template": podTemplate]), 1),
        (object("apps/v1", "StatefulSet", spec: ["replicas": 5, "template": podTemplate]), 5),
        (object("batch/v1", "Job", spec: ["parallelism": 4, "completions": 8, "template": podTemplate]), 4),
        (object("v1", "Pod", spec: podTemplate["spec"]!), 1),
        (object("apps/v1", "DaemonSet", spec: ["template": podTemplate]), nil),
        (object("v1", "ConfigMap"), nil),
        // Same kind name, another group: not built in.
        (object("example.io/v1", "Deployment", spec: ["replicas": 3]), nil),
    ]

    @Test(arguments: replicaCases)
    func replicas(object: JSONValue, expected: Int32?) throws {
        let result = try ResourceInterpreter().replicas(of: object)
        #expect(result?.replicas == expected)
        if expected != nil { #expect(result?.requirements?["resourceRequest"] == ["cpu": "100m"]) }
    }

    @Test(arguments: [("apps/v1", "Deployment", ["spec", "replicas"]), ("apps/v1", "StatefulSet", ["spec", "replicas"]),
                      ("batch/v1", "Job", ["spec", "parallelism"])])
    func reviseReplica(apiVersion: String, kind: String, path: [String]) throws {
        let revised = try ResourceInterpreter().revise(Self.object(apiVersion, kind, spec: ["replicas": 9, "parallelism": 9]), replicas: 2)
        #expect(revised[path[0]]?[path[1]] == .integer(2))
        let untouched = Self.object("v1", "ConfigMap")
        #expect(try ResourceInterpreter().revise(untouched, replicas: 2) == untouched)
    }

    @Test func retainKeepsWhatTheMemberAssigned() throws {
        let desired = Self.object("v1", "Service", spec: ["ports": [["port": 80]]])
        let observed = Self.object("v1", "Service", spec: ["clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"], "ports": [["port": 80, "nodePort": 30080]]])
        let retained = try ResourceInterpreter().retain(desired: desired, observed: observed)
        #expect(retained["spec"]?["clusterIP"] == "10.0.0.7")
        #expect(retained["spec"]?["ports"] == [["port": 80, "nodePort": 30080]])
        let pod = try ResourceInterpreter().retain(desired: Self.object("v1", "Pod"), observed: Self.object("v1", "Pod", spec: ["nodeName": "n1"]))
        #expect(pod["spec"]?["nodeName"] == "n1")
        let claim = try ResourceInterpreter().retain(desired: Self.object("v1", "PersistentVolumeClaim"),
                                                     observed: Self.object("v1", "PersistentVolumeClaim", spec: ["volumeName": "pv-1"]))
        #expect(claim["spec"]?["volumeName"] == "pv-1")
    }

    static func items(_ statuses: [JSONValue]) -> [AggregatedStatusItem] {
        statuses.enumerated().map { AggregatedStatusItem(clusterName: "edge-\($0.offset + 1)", status: $0.element, applied: true) }
    }

    @Test func deploymentStatusSumsAndTakesTheGenerationOnceEveryClusterObservedIt() throws {
        let deployment = Self.object("apps/v1", "Deployment", spec: ["replicas": 3], generation: 4)
        let both = try ResourceInterpreter().aggregateStatus(deployment, items: Self.items([
            ["replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 2, "observedGeneration": 7],
            ["replicas": 1, "readyReplicas": 0, "unavailableReplicas": 1, "updatedReplicas": 1, "observedGeneration": 2],
        ]))
        #expect(both?["status"] == ["replicas": 3, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 3,
                                    "unavailableReplicas": 1, "observedGeneration": 4])
        let partial = try ResourceInterpreter().aggregateStatus(deployment, items: Self.items([["replicas": 2, "observedGeneration": 1], .object([:])]))
        #expect(partial?["status"]?["observedGeneration"] == nil)
    }

    static let complete: JSONValue = ["type": "Complete", "status": "True"]
    static let jobCases: [([JSONValue], String?, Int64)] = [
        ([["conditions": [complete], "succeeded": 2, "completionTime": "2026-12-06T10:00:00Z"],
          ["conditions": [complete], "succeeded": 3, "completionTime": "2026-12-06T11:00:00Z"]], "Complete", 5),
        ([["conditions": [complete], "succeeded": 2], ["active": 1]], nil, 2),
        ([["conditions": [["type": "Failed", "status": "True"]], "failed": 1], ["active": 1]], "Failed", 0),
    ]

    @Test(arguments: jobCases)
    func jobStatus(statuses: [JSONValue], condition: String?, succeeded: Int64) throws {
        let status = try ResourceInterpreter().aggregateStatus(Self.object("batch/v1", "Job"), items: Self.items(statuses))?["status"]
        #expect(status?["conditions"]?.arrayValue?.first?["type"]?.stringValue == condition)
        #expect((status?["succeeded"]?.int64Value ?? 0) == succeeded)
        if condition == "Complete" { #expect(status?["completionTime"] == "2026-12-06T11:00:00Z") }
    }

    @Test(arguments: [
        (["Running", "Running"], "Running"), (["Succeeded", "Succeeded"], "Succeeded"), (["Running", "Failed"], "Failed"),
        (["Running", "Pending"], "Pending"),
    ])
    func podPhase(phases: [String], expected: String) throws {
        let statuses = phases.map { JSONValue.object(["phase": .string($0)]) }
        #expect(try ResourceInterpreter().aggregateStatus(Self.object("v1", "Pod"), items: Self.items(statuses))?["status"]?["phase"] == .string(expected))
    }

    @Test func kindsWithoutAggregationAreLeftAlone() throws {
        #expect(try ResourceInterpreter().aggregateStatus(Self.object("v1", "ConfigMap"), items: []) == nil)
    }

    static let healthCases: [(JSONValue, Bool?)] = [
        (object("apps/v1", "Deployment", spec: ["replicas": 2], status: ["observedGeneration": 1, "updatedReplicas": 2, "availableReplicas": 2]), true),
        (object("apps/v1", "Deployment", spec: ["replicas": 2], status: ["observedGeneration": 1, "updatedReplicas": 2, "availableReplicas": 1]), false),
        (object("apps/v1", "Deployment", spec: ["replicas": 2], status: ["observedGeneration": 0, "updatedReplicas": 2, "availableReplicas": 2], generation: 1), false),
        (object("apps/v1", "DaemonSet", status: ["observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 3]), true),
        (object("batch/v1", "Job", status: ["conditions": [["type": "Failed", "status": "True"]]]), false),
        (object("v1", "Pod", status: ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]), true),
        (object("v1", "Pod", status: ["phase": "Running"]), false),
        (object("v1", "Service", spec: ["type": "ClusterIP"]), true),
        (object("v1", "Service", spec: ["type": "LoadBalancer"]), false),
        (object("v1", "PersistentVolumeClaim", status: ["phase": "Bound"]), true),
        (object("v1", "ConfigMap"), nil),
    ]

    @Test(arguments: healthCases)
    func health(object: JSONValue, expected: Bool?) throws {
        #expect(try ResourceInterpreter().health(object) == expected)
    }

    @Test func dependenciesComeFromThePodTemplate() throws {
        let cron = Self.object("batch/v1", "CronJob", spec: ["jobTemplate": ["spec": ["template": Self.podTemplate]]])
        #expect(try ResourceInterpreter().dependencies(of: cron).map(\.name) == ["cfg"])
        #expect(try ResourceInterpreter().dependencies(of: Self.object("apps/v1", "Deployment", spec: ["template": Self.podTemplate])).first?.namespace == "games")
    }

    @Test func aCustomizationReplacesTheBuiltinForItsOperationsOnly() throws {
        var rules = CustomizationRules()
        rules.healthInterpretation = LuaScriptRule(luaScript: "function InterpretHealth(o) return o.metadata.labels ~= nil and o.metadata.labels.ok == 'yes' end")
        let customization = ResourceInterpreterCustomization(metadata: ObjectMeta(name: "deployment-health"),
            spec: ResourceInterpreterCustomizationSpec(target: CustomizationTarget(apiVersion: "apps/v1", kind: "Deployment"), customizations: rules))
        let interpreter = ResourceInterpreter(customizations: [customization])
        var deployment = Self.object("apps/v1", "Deployment", spec: ["replicas": 2], status: ["observedGeneration": 1, "updatedReplicas": 2, "availableReplicas": 2])
        #expect(try interpreter.health(deployment) == false)
        deployment.setValue(["ok": "yes"], at: ["metadata", "labels"])
        #expect(try interpreter.health(deployment) == true)
        // Replicas still come from the built-in.
        #expect(try interpreter.replicas(of: deployment)?.replicas == 2)
    }
}
