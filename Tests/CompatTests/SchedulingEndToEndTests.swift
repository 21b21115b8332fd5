import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// The scheduler in the running federation: three simulated sites; DynamicWeight places by free capacity, and an
/// AppProfile with DemandWeighted division moves replicas to where the users are when the demand changes.
@Suite(.serialized) struct SchedulingEndToEndTests {
    static let byCapacity = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: arena, namespace: default}
        spec:
          replicas: 5
          selector: {matchLabels: {app: arena}}
          template:
            metadata: {labels: {app: arena}}
            spec:
              containers:
              - {name: server, image: "flotilla/echo:1", resources: {requests: {cpu: 500m, memory: 64Mi}}}
        ---
        apiVersion: policy.karmada.io/v1alpha1
        kind: PropagationPolicy
        metadata: {name: arena, namespace: default}
        spec:
          resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: arena}]
          placement:
            replicaScheduling:
              replicaSchedulingType: Divided
              replicaDivisionPreference: Weighted
              weightPreference: {dynamicWeight: AvailableReplicas}
        """

    static let followTheUsers = """
        apiVersion: mec.flotilla.io/v1alpha1
        kind: LatencyMatrix
        metadata: {name: city}
        spec:
          areas:
          - {name: harbour, rttMs: {edge-1: 8, edge-2: 18, edge-3: 25}}
          - {name: stadium, rttMs: {edge-1: 25, edge-2: 18, edge-3: 8}}
        ---
        apiVersion: mec.flotilla.io/v1alpha1
        kind: AppProfile
        metadata: {name: game, namespace: default}
        spec:
          workloads: [{apiVersion: apps/v1, kind: Deployment, name: game}]
          latencyBudgetMs: 30
          sessionsPerReplica: 20
          placement: {replicaDivision: DemandWeighted}
          demand: [{area: harbour, ues: 40}, {area: stadium, ues: 0}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: game, namespace: default}
        spec:
          replicas: 4
          selector: {matchLabels: {app: game}}
          template:
            metadata: {labels: {app: game}}
            spec:
              containers:
              - {name: server, image: "flotilla/echo:1", resources: {requests: {cpu: 100m, memory: 32Mi}}}
        ---
        apiVersion: policy.karmada.io/v1alpha1
        kind: PropagationPolicy
        metadata: {name: game, namespace: default}
        spec:
          resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: game}]
          placement:
            replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}
        """

    /// The replicas of `name` per member, from the members themselves (0 when absent).
    static func replicas(_ name: String, on members: [String: KubeClient]) async throws -> [String: Int] {
        var result: [String: Int] = [:]
        for (site, member) in members {
            let items = try await member.list(Deployment.descriptor, namespace: "default", options: .everything).items
            result[site] = Int(items.first { $0.name == name }?["spec"]?["replicas"]?.int64Value ?? 0)
        }
        return result
    }

    @Test func placementFollowsCapacityAndDemand() async throws {
        let fixture = try await FederationFixture.start(
            sites: ["edge-1", "edge-2", "edge-3"].map { FederationFixture.site($0, region: "city", nodes: 1) },
            kubelet: KubeletConfiguration(startupDelay: .milliseconds(50), jitter: .milliseconds(20)))
        let kubectl = fixture.kubectl, members = fixture.members
        do {
            // Fill edge-1: 3 of its 4 CPUs go to a workload Flotilla does not manage.
            _ = try await members["edge-1"]!.create(Deployment.descriptor, [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "filler", "namespace": "default"],
                "spec": ["replicas": 3, "selector": ["matchLabels": ["app": "filler"]], "template": [
                    "metadata": ["labels": ["app": "filler"]],
                    "spec": ["containers": [["name": "busy", "image": "busybox", "resources": ["requests": ["cpu": "1"]]]]]]]])
            try await waitUntil("edge-1 reports 3 CPUs allocated", seconds: 30, every: .milliseconds(100)) {
                try await kubectl.run(["get", "cluster", "edge-1", "-o", "jsonpath={.status.resourceSummary.allocated.cpu}"]).stdout == "3"
            }
            try await fixture.waitForReadyClusters()

            // DynamicWeight by available replicas of 500m: edge-1 (4−3)/0.5 = 2, edge-2 and edge-3 8 each.
            // Webster for 5 over 2:8:8 (divisors 1, 3, 5…): 8, 8, 2.67, 2.67, 2 → edge-2 2, edge-3 2, edge-1 1.
            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.byCapacity).status == 0)
            try await waitUntil("arena divided by free capacity", seconds: 30, every: .milliseconds(100)) {
                try await Self.replicas("arena", on: members) == ["edge-1": 1, "edge-2": 2, "edge-3": 2]
            }
            let rollout = try await kubectl.run(["rollout", "status", "deployment/arena", "--timeout=60s"])
            #expect(rollout.status == 0, "\(rollout.combined)")

            // The game's users are in the harbour, nearest edge-1: all 4 replicas there, although it is the fullest
            // site (4 × 100m fit in its last CPU).
            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.followTheUsers).status == 0)
            try await waitUntil("game at the harbour's site", seconds: 30, every: .milliseconds(100)) {
                try await Self.replicas("game", on: members) == ["edge-1": 4, "edge-2": 0, "edge-3": 0]
            }
            // The users walk to the stadium (as the mobility service would report): the replicas follow to edge-3,
            // and edge-1's copy is removed.
            let moved = try await kubectl.run(["patch", "appprofile", "game", "--type", "merge", "-p",
                #"{"spec":{"demand":[{"area":"harbour","ues":4},{"area":"stadium","ues":36}]}}"#])
            #expect(moved.status == 0, "\(moved.combined)")
            // Webster over harbour 4 (edge-1) : stadium 36 (edge-3) for 4 replicas: 36, 12, 7.2, 5.14 all beat 4 → edge-3 4.
            try await waitUntil("game follows the users", seconds: 30, every: .milliseconds(100)) {
                try await Self.replicas("game", on: members) == ["edge-1": 0, "edge-2": 0, "edge-3": 4]
            }
            let profiles = try await kubectl.run(["get", "appprofiles", "-n", "default", "-o", "name"])
            #expect(profiles.stdout.contains("appprofile.mec.flotilla.io/game"), "\(profiles.combined)")
        } catch {
            Issue.record("\(error)")
        }
        await fixture.stop()
    }
}
