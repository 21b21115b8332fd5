import FlotillaAPI
import Testing
@testable import FlotillaInterpreter

/// The built-in status reflection, one row per kind, against the fields Karmada's default interpreter grabs.
@Suite struct StatusReflectionTests {
    static let deploymentStatus: JSONValue = [
        "replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2, "unavailableReplicas": 1,
        "observedGeneration": 4, "collisionCount": 1,
        "conditions": [["type": "Available", "status": "True", "lastUpdateTime": "2026-12-07T10:00:00Z", "message": "ok"]],
    ]

    static func object(_ apiVersion: String, _ kind: String, spec: JSONValue = .object([:]), status: JSONValue?,
                       generation: Int64 = 4, annotations: JSONValue? = nil) -> JSONValue {
        var metadata: JSONValue = ["name": "w", "namespace": "games", "generation": .integer(generation)]
        if let annotations { metadata["annotations"] = annotations }
        var object: JSONValue = ["apiVersion": .string(apiVersion), "kind": .string(kind), "metadata": metadata, "spec": spec]
        if let status { object["status"] = status }
        return object
    }

    static let cases: [(String, JSONValue, JSONValue?)] = [
        ("Deployment: counts and generations, no conditions",
         object("apps/v1", "Deployment", status: deploymentStatus, annotations: ["resourcetemplate.karmada.io/generation": "7"]),
         ["replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2, "unavailableReplicas": 1,
          "observedGeneration": 4, "generation": 4, "resourceTemplateGeneration": 7]),
        ("Deployment without the template-generation annotation",
         object("apps/v1", "Deployment", status: ["replicas": 1, "readyReplicas": 1], generation: 2),
         ["replicas": 1, "readyReplicas": 1, "generation": 2]),
        ("StatefulSet",
         object("apps/v1", "StatefulSet", status: ["replicas": 2, "readyReplicas": 2, "currentReplicas": 2, "updatedReplicas": 2,
                                                   "availableReplicas": 2, "observedGeneration": 4, "currentRevision": "w-1",
                                                   "collisionCount": 0]),
         ["replicas": 2, "readyReplicas": 2, "currentReplicas": 2, "updatedReplicas": 2, "availableReplicas": 2,
          "observedGeneration": 4, "generation": 4]),
        ("DaemonSet",
         object("apps/v1", "DaemonSet", status: ["currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberReady": 1,
                                                 "numberMisscheduled": 0, "observedGeneration": 4, "conditions": []]),
         ["currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberReady": 1, "numberMisscheduled": 0,
          "observedGeneration": 4, "generation": 4]),
        ("Job: counts, conditions and times",
         object("batch/v1", "Job", status: ["active": 1, "succeeded": 2, "startTime": "2026-12-07T10:00:00Z", "ready": 1,
                                           "conditions": [["type": "Complete", "status": "True"]], "uncountedTerminatedPods": [:]]),
         ["active": 1, "succeeded": 2, "startTime": "2026-12-07T10:00:00Z", "conditions": [["type": "Complete", "status": "True"]]]),
        ("Service of type LoadBalancer: its load balancer",
         object("v1", "Service", spec: ["type": "LoadBalancer"], status: ["loadBalancer": ["ingress": [["ip": "10.0.0.1"]]],
                                                                           "conditions": []]),
         ["loadBalancer": ["ingress": [["ip": "10.0.0.1"]]]]),
        ("Service of another type: nothing",
         object("v1", "Service", spec: ["type": "ClusterIP"], status: ["loadBalancer": [:]]), nil),
        ("PodDisruptionBudget",
         object("policy/v1", "PodDisruptionBudget", status: ["disruptionsAllowed": 1, "expectedPods": 3, "desiredHealthy": 2,
                                                           "currentHealthy": 3, "observedGeneration": 4, "conditions": []]),
         ["disruptionsAllowed": 1, "expectedPods": 3, "desiredHealthy": 2, "currentHealthy": 3]),
        ("HorizontalPodAutoscaler",
         object("autoscaling/v2", "HorizontalPodAutoscaler", status: ["currentReplicas": 2, "desiredReplicas": 3, "currentMetrics": []]),
         ["currentReplicas": 2, "desiredReplicas": 3]),
        ("Pod: the whole status",
         object("v1", "Pod", status: ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]),
         ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]),
        ("a custom kind: the whole status",
         object("games.example.io/v1", "GameServer", status: ["players": 3, "state": "Ready"]), ["players": 3, "state": "Ready"]),
        ("a Deployment of another group: the whole status",
         object("example.io/v1", "Deployment", status: deploymentStatus), deploymentStatus),
        ("no status", object("apps/v1", "Deployment", status: nil), nil),
    ]

    @Test(arguments: cases)
    func reflects(name: String, observed: JSONValue, expected: JSONValue?) {
        #expect(BuiltinInterpreters.reflectStatus(observed) == expected, "\(name)")
    }

    /// The built-in aggregation still folds what the reflection keeps: a Deployment's counts and, once every
    /// cluster has observed it, the template's generation.
    @Test func aggregationReadsTheReflectedStatus() throws {
        let template = Self.object("apps/v1", "Deployment", spec: ["replicas": 4], status: nil)
        let items = ["edge-1", "edge-2"].map { name in
            AggregatedStatusItem(clusterName: name, status: BuiltinInterpreters.reflectStatus(Self.object("apps/v1", "Deployment",
                status: ["replicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "availableReplicas": 2, "observedGeneration": 1,
                         "conditions": [["type": "Available", "status": "True"]]], generation: 1)), applied: true, health: "Healthy")
        }
        let status = try #require(BuiltinInterpreters.aggregateStatus(template, items: items)?["status"])
        #expect(status == ["replicas": 4, "readyReplicas": 4, "updatedReplicas": 4, "availableReplicas": 4, "observedGeneration": 4])
    }
}
