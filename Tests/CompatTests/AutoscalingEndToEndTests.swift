import EdgeClusterSim
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// A FederatedHPA scaling a federated Deployment from its pods' usage on both sites, as issue 21 states it.
extension ProcessHeavyEndToEndTests {
    @Suite(.serialized) struct AutoscalingEndToEndTests {
        static let manifests = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: load, namespace: default}
            spec:
              replicas: 2
              selector: {matchLabels: {app: load}}
              template:
                metadata: {labels: {app: load}}
                spec: {containers: [{name: main, image: "nginx:1", resources: {requests: {cpu: 200m}}}]}
            ---
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: load, namespace: default}
            spec:
              resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: load}]
              placement:
                clusterAffinity: {clusterNames: [edge-1, edge-2]}
                replicaScheduling:
                  replicaSchedulingType: Divided
                  replicaDivisionPreference: Weighted
                  weightPreference: {dynamicWeight: AvailableReplicas}
            ---
            apiVersion: autoscaling.karmada.io/v1alpha1
            kind: FederatedHPA
            metadata: {name: load, namespace: default}
            spec:
              scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: load}
              minReplicas: 2
              maxReplicas: 8
              metrics:
              - type: Resource
                resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
              behavior:
                scaleDown: {stabilizationWindowSeconds: 0}
            """

        /// Sets every running pod of `load` on every site to use `cpu` (what the admin endpoint does).
        static func setUsage(_ fixture: FederationFixture, cpu: String) async throws {
            for name in ["edge-1", "edge-2"] {
                let site = try #require(fixture.sites.site(named: name))
                let pods = try await fixture.members[name]!.list(Pod.descriptor, namespace: "default", options: ListQuery(labelSelector: "app=load"))
                for pod in pods.items {
                    await site.setUsage(namespace: "default", pod: pod.name ?? "",
                                        usage: WorkloadUsage(cpu: try Quantity(parsing: cpu), memory: try Quantity(parsing: "32Mi")))
                }
            }
        }

        static func memberReplicas(_ fixture: FederationFixture) async -> Int64 {
            var total: Int64 = 0
            for member in fixture.members.values {
                total += (try? await member.get(Deployment.descriptor, namespace: "default", name: "load"))?.value(at: ["spec", "replicas"])?.int64Value ?? 0
            }
            return total
        }

        @Test func aFederatedHPAScalesUpUnderLoadAndBackDown() async throws {
            let fixture = try await FederationFixture.startPair()
            let kubectl = fixture.kubectl
            do {
                try await fixture.waitForReadyClusters()
                let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.manifests)
                #expect(applied.status == 0, "\(applied.combined)")
                try await waitUntil("two pods running", seconds: 30, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "deployment", "load", "-o", "jsonpath={.status.readyReplicas}"]).stdout == "2"
                }
                // The control plane serves its members' metrics, as karmada-metrics-adapter does: kubectl top works there.
                try await waitUntil("kubectl top on the control plane lists both pods", seconds: 20, every: .milliseconds(250)) {
                    let top = try await kubectl.run(["top", "pods", "-l", "app=load"])
                    return top.status == 0 && top.stdout.split(separator: "\n").count == 3
                }
                let labelled = try await kubectl.run(["get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods"])
                #expect(labelled.stdout.contains("resource.karmada.io/cached-from-cluster"), "\(labelled.stdout.prefix(400))")
                // Idle pods: the autoscaler is active and keeps the minimum.
                try await waitUntil("the autoscaler active", seconds: 20, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "fhpa", "load", "-o",
                        "jsonpath={.status.conditions[?(@.type==\"ScalingActive\")].status}"]).stdout == "True"
                }
                let started = ContinuousClock.now
                try await Self.setUsage(fixture, cpu: "400m")
                try await waitUntil("eight replicas on the template and the members", seconds: 45, every: .milliseconds(250)) {
                    let template = try await kubectl.run(["get", "deployment", "load", "-o", "jsonpath={.spec.replicas}"]).stdout
                    let members = await Self.memberReplicas(fixture)
                    return template == "8" && members == 8
                }
                let up = ContinuousClock.now - started
                let status = try await kubectl.run(["get", "fhpa", "load", "-o", "jsonpath={.status.desiredReplicas}/{.status.currentMetrics[0].resource.current.averageUtilization}"])
                #expect(status.stdout.hasPrefix("8/"), "\(status.stdout)")
                let events = try await kubectl.run(["get", "events", "--field-selector", "reason=SuccessfulRescale", "-o", "jsonpath={.items[*].message}"])
                #expect(events.stdout.contains("New size: 8") || events.stdout.contains("New size: 6"), "\(events.stdout)")

                // Fault: edge-2 stops answering. The autoscaler decides on the pods it can still see (edge-1's, now
                // nearly idle) and scales down; edge-2 gets its share of the new count when it is back.
                let edge2 = try #require(fixture.sites.site(named: "edge-2"))
                try await Self.setUsage(fixture, cpu: "10m")
                await edge2.down()
                let down = ContinuousClock.now
                try await waitUntil("back to two replicas on the template", seconds: 60, every: .milliseconds(250)) {
                    try await kubectl.run(["get", "deployment", "load", "-o", "jsonpath={.spec.replicas}"]).stdout == "2"
                }
                let downTime = ContinuousClock.now - down
                try await edge2.up()
                try await waitUntil("the members hold two", seconds: 60, every: .milliseconds(250)) {
                    await Self.memberReplicas(fixture) == 2
                }
                print("autoscaling: 2 → 8 in \(up), 8 → 2 in \(downTime) with one site down")
            } catch {
                await fixture.stop()
                throw error
            }
            await fixture.stop()
        }

        @Test func aCronFederatedHPASetsItsDeploymentAtTheScheduledTime() async throws {
            let fixture = try await FederationFixture.startPair()
            let kubectl = fixture.kubectl
            do {
                try await fixture.waitForReadyClusters()
                let workload = Self.manifests.components(separatedBy: "---").prefix(2).joined(separator: "---")
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: workload).status == 0)
                let broken = try await kubectl.run(["apply", "-f", "-"], stdin: """
                    apiVersion: autoscaling.karmada.io/v1alpha1
                    kind: CronFederatedHPA
                    metadata: {name: broken, namespace: default}
                    spec:
                      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: load}
                      rules: [{name: bad, schedule: "*/1 * * *", targetReplicas: 3}]
                    """)
                #expect(broken.status != 0 && broken.stderr.contains("spec.rules[0].schedule"), "\(broken.combined)")
                let cron = try await kubectl.run(["apply", "-f", "-"], stdin: """
                    apiVersion: autoscaling.karmada.io/v1alpha1
                    kind: CronFederatedHPA
                    metadata: {name: every-minute, namespace: default}
                    spec:
                      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: load}
                      rules: [{name: three, schedule: "*/1 * * * *", targetReplicas: 3}]
                    """)
                #expect(cron.status == 0, "\(cron.combined)")
                try await waitUntil("the Deployment set to 3 by the rule", seconds: 75, every: .milliseconds(250)) {
                    try await kubectl.run(["get", "deployment", "load", "-o", "jsonpath={.spec.replicas}"]).stdout == "3"
                }
                try await waitUntil("the run in the execution history", seconds: 10, every: .milliseconds(200)) {
                    let history = try await kubectl.run(["get", "cronfhpa", "every-minute", "-o",
                        "jsonpath={.status.executionHistories[0].successfulExecutions[0].appliedReplicas}/{.status.executionHistories[0].nextExecutionTime}"])
                    return history.stdout.hasPrefix("3/") && history.stdout.count > 3
                }
            } catch {
                await fixture.stop()
                throw error
            }
            await fixture.stop()
        }
    }
}
