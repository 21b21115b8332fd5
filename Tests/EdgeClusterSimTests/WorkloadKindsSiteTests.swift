import EdgeClusterSim
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import Testing

/// A site runs StatefulSets, DaemonSets, Jobs and CronJobs far enough for their status to be real, over HTTPS as a
/// federation drives it.
@Suite struct WorkloadKindsSiteTests {
    static func template(_ app: String, restart: String = "Always", annotations: [String: String] = [:]) -> JSONValue {
        ["metadata": ["labels": ["app": .string(app)], "annotations": .object(JSONObject(annotations.mapValues(JSONValue.string)))],
         "spec": ["restartPolicy": .string(restart),
                  "containers": [["name": "main", "image": "busybox:1", "resources": ["requests": ["cpu": "10m", "memory": "16Mi"]]]]]]
    }

    @Test func aStatefulSetComesUpInOrderWithItsOwnClaimsAndScalesDownFromTheTop() async throws {
        try await SiteTests.withSite { (_: EdgeSite, client: TestClient) async throws in
            let set: JSONValue = ["apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": "db"],
                "spec": ["replicas": 3, "serviceName": "db", "selector": ["matchLabels": ["app": "db"]], "template": Self.template("db"),
                         "volumeClaimTemplates": [["metadata": ["name": "data"],
                            "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]]]]
            let created = try await client.request(.POST, "/apis/apps/v1/namespaces/default/statefulsets", json: set)
            #expect(created.status == 201, "\(created.text)")
            let ready = try await SiteTests.waitFor(client, "/apis/apps/v1/namespaces/default/statefulsets/db") {
                $0["status"]?["readyReplicas"]?.int64Value == 3
            }
            #expect(ready["status"]?["updateRevision"] == ready["status"]?["currentRevision"])
            let pods = try await client.request(.GET, "/api/v1/namespaces/default/pods?labelSelector=app%3Ddb")
            let names = (pods.json?["items"]?.arrayValue ?? []).compactMap { $0.name }.sorted()
            #expect(names == ["db-0", "db-1", "db-2"])
            // Ordered: each pod was created after the one before it was Ready.
            let created0 = pods.json?["items"]?.arrayValue?.first { $0.name == "db-0" }?["status"]?["startTime"]?.stringValue ?? ""
            let created2 = pods.json?["items"]?.arrayValue?.first { $0.name == "db-2" }?["metadata"]?["creationTimestamp"]?.stringValue ?? ""
            #expect(created0 <= created2)
            let claims = try await SiteTests.waitFor(client, "/api/v1/namespaces/default/persistentvolumeclaims") {
                ($0["items"]?.arrayValue ?? []).filter { $0["status"]?["phase"] == "Bound" }.count == 3
            }
            #expect((claims["items"]?.arrayValue ?? []).compactMap(\.name).sorted() == ["data-db-0", "data-db-1", "data-db-2"])
            let scale: JSONValue = ["apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": ["name": "db", "namespace": "default"],
                                    "spec": ["replicas": 1]]
            #expect(try await client.request(.PUT, "/apis/apps/v1/namespaces/default/statefulsets/db/scale", json: scale).status == 200)
            let down = try await SiteTests.waitFor(client, "/api/v1/namespaces/default/pods?labelSelector=app%3Ddb") { $0["items"]?.arrayValue?.count == 1 }
            #expect(down["items"]?.arrayValue?.first?.name == "db-0")
            #expect(try await client.request(.GET, "/api/v1/namespaces/default/persistentvolumeclaims/data-db-2").status == 200, "claims are kept")
        }
    }

    @Test func aDaemonSetRunsOnePodPerNode() async throws {
        try await SiteTests.withSite { (_: EdgeSite, client: TestClient) async throws in
            let set: JSONValue = ["apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": "agent"],
                                  "spec": ["selector": ["matchLabels": ["app": "agent"]], "template": Self.template("agent")]]
            #expect(try await client.request(.POST, "/apis/apps/v1/namespaces/default/daemonsets", json: set).status == 201)
            let ready = try await SiteTests.waitFor(client, "/apis/apps/v1/namespaces/default/daemonsets/agent") {
                $0["status"]?["numberReady"]?.int64Value == 2
            }
            #expect(ready["status"]?["desiredNumberScheduled"] == 2)
            let pods = try await client.request(.GET, "/api/v1/namespaces/default/pods?labelSelector=app%3Dagent")
            let nodes = Set((pods.json?["items"]?.arrayValue ?? []).compactMap { $0["spec"]?["nodeName"]?.stringValue })
            #expect(nodes.count == 2)
        }
    }

    @Test func aJobRunsToCompletionAndAFailingOneStopsAtItsBackoffLimit() async throws {
        try await SiteTests.withSite { (_: EdgeSite, client: TestClient) async throws in
            let jobs = "/apis/batch/v1/namespaces/default/jobs"
            let job: JSONValue = ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "batch"],
                "spec": ["completions": 4, "parallelism": 2,
                         "template": Self.template("batch", restart: "Never", annotations: ["sim.flotilla.io/run-seconds": "0.2"])]]
            let created = try await client.request(.POST, jobs, json: job)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.json?["spec"]?["selector"]?["matchLabels"]?["batch.kubernetes.io/job-name"] == "batch")
            let done = try await SiteTests.waitFor(client, jobs + "/batch") {
                ($0["status"]?["conditions"]?.arrayValue ?? []).contains { $0["type"] == "Complete" && $0["status"] == "True" }
            }
            #expect(done["status"]?["succeeded"] == 4)
            #expect(done["status"]?["completionTime"] != nil)
            // The template is immutable.
            var changed = done
            changed.setValue([["name": "main", "image": "busybox:2"]], at: ["spec", "template", "spec", "containers"])
            let refused = try await client.request(.PUT, jobs + "/batch", json: changed)
            #expect(refused.status == 422 && refused.text.contains("immutable"), "\(refused.text)")

            let failing: JSONValue = ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "flaky"],
                "spec": ["backoffLimit": 1, "template": Self.template("flaky", restart: "Never",
                         annotations: ["sim.flotilla.io/run-seconds": "0.1", "sim.flotilla.io/exit-code": "3"])]]
            #expect(try await client.request(.POST, jobs, json: failing).status == 201)
            let failed = try await SiteTests.waitFor(client, jobs + "/flaky") {
                ($0["status"]?["conditions"]?.arrayValue ?? []).contains { $0["type"] == "Failed" && $0["reason"] == "BackoffLimitExceeded" }
            }
            #expect(failed["status"]?["failed"] == 2)
            // A restart policy of Always is refused for a Job.
            var always = job
            always.setMetadata("name", "always")
            always.setValue("Always", at: ["spec", "template", "spec", "restartPolicy"])
            #expect(try await client.request(.POST, jobs, json: always).status == 422)
        }
    }

    @Test func aCronJobMakesAJobAtItsTime() async throws {
        try await SiteTests.withSite { (_: EdgeSite, client: TestClient) async throws in
            let cronJob: JSONValue = ["apiVersion": "batch/v1", "kind": "CronJob", "metadata": ["name": "tick"],
                "spec": ["schedule": "* * * * *", "successfulJobsHistoryLimit": 1,
                         "jobTemplate": ["spec": ["template": Self.template("tick", restart: "OnFailure",
                                                                            annotations: ["sim.flotilla.io/run-seconds": "0.1"])]]]]
            let bad = try await client.request(.POST, "/apis/batch/v1/namespaces/default/cronjobs",
                json: { var c = cronJob; c.setValue("61 * * * *", at: ["spec", "schedule"]); return c }())
            #expect(bad.status == 422 && bad.text.contains("spec.schedule"), "\(bad.text)")
            #expect(try await client.request(.POST, "/apis/batch/v1/namespaces/default/cronjobs", json: cronJob).status == 201)
            // The first minute boundary after creation makes a Job (waits up to a minute).
            let ran = try await SiteTests.waitFor(client, "/apis/batch/v1/namespaces/default/cronjobs/tick", seconds: 75) {
                $0["status"]?["lastSuccessfulTime"] != nil
            }
            #expect(ran["status"]?["lastScheduleTime"] != nil)
            let jobs = try await client.request(.GET, "/apis/batch/v1/namespaces/default/jobs")
            let names = (jobs.json?["items"]?.arrayValue ?? []).compactMap(\.name)
            #expect(names.count == 1 && names[0].hasPrefix("tick-"), "\(names)")
        }
    }
}
