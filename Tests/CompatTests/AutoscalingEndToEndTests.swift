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

        /// A FederatedHPA on a Pods metric: the game servers' players, read through custom.metrics.k8s.io on each
        /// site (scraped from the servers' /metrics) and gathered by the control plane.
        @Test func aFederatedHPAScalesOnTheGameServersPlayers() async throws {
            let fixture = try await FederationFixture.startPair()
            let kubectl = fixture.kubectl
            do {
                try await fixture.waitForReadyClusters()
                let applied = try await kubectl.run(["apply", "-f", "-"], stdin: """
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: game, namespace: default}
                    spec:
                      replicas: 2
                      selector: {matchLabels: {app: game}}
                      template:
                        metadata: {labels: {app: game}}
                        spec: {containers: [{name: server, image: "flotilla/mobile-game:1", ports: [{name: http, containerPort: 7777}]}]}
                    ---
                    apiVersion: v1
                    kind: Service
                    metadata: {name: game, namespace: default}
                    spec: {selector: {app: game}, ports: [{name: http, port: 7777, targetPort: 7777}]}
                    ---
                    apiVersion: policy.karmada.io/v1alpha1
                    kind: PropagationPolicy
                    metadata: {name: game, namespace: default}
                    spec:
                      resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: game}, {apiVersion: v1, kind: Service, name: game}]
                      placement:
                        clusterAffinity: {clusterNames: [edge-1, edge-2]}
                        replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted,
                                            weightPreference: {staticWeightList: [{targetCluster: {clusterNames: [edge-1]}, weight: 1},
                                                                                  {targetCluster: {clusterNames: [edge-2]}, weight: 1}]}}
                    ---
                    apiVersion: autoscaling.karmada.io/v1alpha1
                    kind: FederatedHPA
                    metadata: {name: game, namespace: default}
                    spec:
                      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: game}
                      minReplicas: 2
                      maxReplicas: 6
                      metrics:
                      - type: Pods
                        pods: {metric: {name: flotilla_game_players}, target: {type: AverageValue, averageValue: "2"}}
                    """)
                #expect(applied.status == 0, "\(applied.combined)")
                try await waitUntil("two game servers ready", seconds: 30, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "deployment", "game", "-o", "jsonpath={.status.readyReplicas}"]).stdout == "2"
                }
                try await waitUntil("the autoscaler reads the players", seconds: 20, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "fhpa", "game", "-o", "jsonpath={.status.currentMetrics[0].pods.current.averageValue}"]).stdout == "0"
                }
                // Eight players join edge-1's servers through its Service: 8 players / 2 servers = 4 each, target 2 → 4 servers.
                let edge1 = try #require(fixture.members["edge-1"])
                for player in 1...8 {
                    _ = try? await edge1.post("/api/v1/namespaces/default/services/game:http/proxy/sessions/\(player)", [:])
                }
                // The control plane's custom.metrics.k8s.io gathers both sites' servers.
                let gathered = try await kubectl.run(["get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/flotilla_game_players"])
                let players = CustomMetrics.items(of: try JSONValue.parse(Array(gathered.stdout.utf8))).reduce(0.0) { $0 + Double($1.value.nanos) / 1e9 }
                #expect(players == 8, "\(gathered.combined)")
                try await waitUntil("four game servers on the template", seconds: 30, every: .milliseconds(250)) {
                    try await kubectl.run(["get", "deployment", "game", "-o", "jsonpath={.spec.replicas}"]).stdout == "4"
                }
                try await waitUntil("the members run four", seconds: 30, every: .milliseconds(250)) {
                    var total: Int64 = 0
                    for member in fixture.members.values {
                        total += (try? await member.get(Deployment.descriptor, namespace: "default", name: "game"))?.value(at: ["status", "readyReplicas"])?.int64Value ?? 0
                    }
                    return total == 4
                }
                // Four servers, eight players: at the target, it holds.
                try await Task.sleep(for: .seconds(2))
                let held = try await kubectl.run(["get", "fhpa", "game", "-o", "jsonpath={.status.desiredReplicas}/{.status.currentMetrics[0].pods.current.averageValue}"])
                #expect(held.stdout == "4/2", "\(held.stdout)")
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

        @Test func aVerticalPodAutoscalerRecommendsAndInAutoModeResizesTheTemplate() async throws {
            let fixture = try await FederationFixture.startPair()
            let kubectl = fixture.kubectl
            do {
                try await fixture.waitForReadyClusters()
                let workload = Self.manifests.components(separatedBy: "---").prefix(2).joined(separator: "---")
                    .replacingOccurrences(of: "requests: {cpu: 200m}", with: "requests: {cpu: 10m, memory: 64Mi}, limits: {cpu: 20m}")
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: workload).status == 0)
                try await waitUntil("two pods running", seconds: 30, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "deployment", "load", "-o", "jsonpath={.status.readyReplicas}"]).stdout == "2"
                }
                try await Self.setUsage(fixture, cpu: "400m")
                let vpa = try await kubectl.run(["apply", "-f", "-"], stdin: """
                    apiVersion: autoscaling.k8s.io/v1
                    kind: VerticalPodAutoscaler
                    metadata: {name: load-advice, namespace: default}
                    spec:
                      targetRef: {apiVersion: apps/v1, kind: Deployment, name: load}
                      updatePolicy: {updateMode: "Off"}
                    """)
                #expect(vpa.status == 0, "\(vpa.combined)")
                try await waitUntil("a recommendation", seconds: 30, every: .milliseconds(250)) {
                    try await kubectl.run(["get", "vpa", "load-advice", "-o",
                        "jsonpath={.status.recommendation.containerRecommendations[0].target.cpu}"]).stdout.hasSuffix("m")
                }
                let target = try await kubectl.run(["get", "vpa", "load-advice", "-o",
                    "jsonpath={.status.recommendation.containerRecommendations[0].target.cpu}"]).stdout
                let millis = Int(target.dropLast()) ?? 0
                #expect((400...600).contains(millis), "p90 of 400m plus the 15 % margin: \(target)")
                #expect(try await kubectl.run(["get", "deployment", "load", "-o",
                    "jsonpath={.spec.template.spec.containers[0].resources.requests.cpu}"]).stdout == "10m", "Off changes nothing")

                // Auto: the request, far below the recommendation's lower bound, is raised; the limit keeps its 2× ratio.
                #expect(try await kubectl.run(["patch", "vpa", "load-advice", "--type=merge", "-p", "{\"spec\":{\"updatePolicy\":{\"updateMode\":\"Auto\"}}}"]).status == 0)
                try await waitUntil("the template's request raised", seconds: 30, every: .milliseconds(250)) {
                    let request = try await kubectl.run(["get", "deployment", "load", "-o",
                        "jsonpath={.spec.template.spec.containers[0].resources.requests.cpu}"]).stdout
                    return request != "10m" && request.hasSuffix("m")
                }
                let resources = try await kubectl.run(["get", "deployment", "load", "-o",
                    "jsonpath={.spec.template.spec.containers[0].resources.requests.cpu}/{.spec.template.spec.containers[0].resources.limits.cpu}"]).stdout
                let parts = resources.split(separator: "/").map { Int($0.dropLast()) ?? 0 }
                #expect(parts.count == 2 && parts[1] == 2 * parts[0], "\(resources)")
                // The members get the new template.
                try await waitUntil("the members' pods on the new request", seconds: 30, every: .milliseconds(250)) {
                    for member in fixture.members.values {
                        let copy = try await member.get(Deployment.descriptor, namespace: "default", name: "load")
                        guard copy.value(at: ["spec", "template", "spec", "containers"])?.arrayValue?.first?.value(at: ["resources", "requests", "cpu"])?
                            .stringValue == "\(parts[0])m" else { return false }
                    }
                    return true
                }
            } catch {
                await fixture.stop()
                throw error
            }
            await fixture.stop()
        }
    }
}
