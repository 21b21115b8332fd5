import EdgeClusterSim
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// A user's own kind across the federation, as a Karmada user runs one: the CRD goes to the members through a
/// ClusterPropagationPolicy, its objects through a PropagationPolicy, and a ResourceInterpreterCustomization tells
/// the federation their replicas, what members report and how that sums up.
extension ProcessHeavyEndToEndTests {
    @Suite(.serialized) struct CustomResourcesEndToEndTests {
        static let manifests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("manifests/interpreter")

        static let policies = """
            apiVersion: policy.karmada.io/v1alpha1
            kind: ClusterPropagationPolicy
            metadata: {name: game-crds}
            spec:
              resourceSelectors: [{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, name: gameserversets.games.flotilla.io}]
              placement: {clusterAffinity: {clusterNames: [edge-1, edge-2]}}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: games}
            ---
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: arena, namespace: games}
            spec:
              resourceSelectors: [{apiVersion: games.flotilla.io/v1alpha1, kind: GameServerSet, name: arena}]
              placement:
                clusterAffinity: {clusterNames: [edge-1, edge-2]}
                replicaScheduling:
                  replicaSchedulingType: Divided
                  replicaDivisionPreference: Weighted
                  weightPreference:
                    staticWeightList:
                    - {targetCluster: {clusterNames: [edge-1]}, weight: 1}
                    - {targetCluster: {clusterNames: [edge-2]}, weight: 1}
            """


        @Test func aCustomKindAndItsObjectsPropagateAndReportBack() async throws {
            let fixture = try await FederationFixture.startPair()
            let kubectl = fixture.kubectl
            do {
                try await fixture.waitForReadyClusters()
                for file in ["gameserverset-crd.yaml", "gameserverset-customization.yaml"] {
                    let applied = try await kubectl.run(["apply", "-f", Self.manifests.appendingPathComponent(file).path])
                    #expect(applied.status == 0, "\(applied.combined)")
                }
                let policies = try await kubectl.run(["apply", "-f", "-"], stdin: Self.policies)
                #expect(policies.status == 0, "\(policies.combined)")
                #expect(policies.stderr.contains("Warning") == false, "a custom kind is not warned as unpropagated: \(policies.stderr)")
                // The CRD reaches both members through a ClusterResourceBinding, and each member serves the kind.
                let crd = CustomResourceDefinition.descriptor
                try await waitUntil("the CRD established on both members", seconds: 30, every: .milliseconds(200)) {
                    for member in fixture.members.values {
                        guard let definition = try? await member.get(crd, namespace: nil, name: "gameserversets.games.flotilla.io"),
                              (try? CustomResourceDefinition(json: definition))?.isEstablished == true else { return false }
                    }
                    return true
                }
                // As with Karmada, an object scheduled before a cluster's status lists its kind is placed without that
                // cluster: wait until both clusters' API enablements show it.
                try await waitUntil("both clusters list the kind", seconds: 30, every: .milliseconds(200)) {
                    let enablements = try await kubectl.run(["get", "clusters", "-o",
                        "jsonpath={range .items[*]}{.status.apiEnablements[?(@.groupVersion==\"games.flotilla.io/v1alpha1\")].resources[*].name}{\"\\n\"}{end}"]).stdout
                    return enablements.split(separator: "\n").filter { $0.contains("gameserversets") }.count == 2
                }
                let object = try await kubectl.run(["apply", "-f", Self.manifests.appendingPathComponent("gameserverset.yaml").path])
                #expect(object.status == 0, "\(object.combined)")
                #expect(try await kubectl.run(["get", "clusterresourcebinding", "gameserversets.games.flotilla.io-customresourcedefinition"]).status == 0)

                // The GameServerSet is divided 2 + 2 by ReviseReplica, with the schema's defaults applied on the way.
                let stored = try await fixture.controlPlane.store.get(crd.groupResource, namespace: nil, name: "gameserversets.games.flotilla.io")
                let kind = try #require(try CustomResourceDefinition(json: stored).preferredDescriptor)
                try await waitUntil("two servers on each member", seconds: 40, every: .milliseconds(200)) {
                    for member in fixture.members.values {
                        guard let copy = try? await member.get(kind, namespace: "games", name: "arena"),
                              copy.value(at: ["spec", "replicas"])?.int64Value == 2 else { return false }
                    }
                    return true
                }
                if (try? await fixture.members["edge-1"]!.get(kind, namespace: "games", name: "arena")) == nil {
                    // A miss: what the federation made of it, for the record.
                    for what in [["get", "resourcebinding", "-n", "games", "-o", "yaml"], ["get", "works", "-A", "-o", "yaml"],
                                 ["get", "events", "-A"]] {
                        print(try await kubectl.run(what).combined)
                    }
                }
                let edge1 = fixture.members["edge-1"]!, edge2 = fixture.members["edge-2"]!
                let copy = try await edge1.get(kind, namespace: "games", name: "arena")
                #expect(copy.value(at: ["spec", "mode"])?.stringValue == "casual")
                #expect(copy.labels["karmada.io/managed"] == "true")

                // What the members report (as their own controller would) comes back through ReflectStatus and
                // AggregateStatus into the template's status, which the printer columns show.
                for (member, ready, players) in [(edge1, 2, 40), (edge2, 1, 12)] {
                    var reported = try await member.get(kind, namespace: "games", name: "arena")
                    reported["status"] = ["readyServers": .integer(Int64(ready)), "players": .integer(Int64(players)), "observedGeneration": 1]
                    _ = try await member.updateStatus(kind, reported)
                }
                try await waitUntil("the aggregated status on the template", seconds: 30, every: .milliseconds(200)) {
                    try await kubectl.run(["get", "gss", "arena", "-n", "games", "-o", "jsonpath={.status.readyServers}/{.status.players}"]).stdout == "3/52"
                }
                let table = try await kubectl.run(["get", "gameserversets", "-n", "games"])
                #expect(table.stdout.contains("DESIRED"), "\(table.stdout)")
                let row = table.stdout.split(separator: "\n").last.map { $0.split(separator: " ").map(String.init) } ?? []
                #expect(Array(row.prefix(4)) == ["arena", "4", "3", "52"], "\(table.stdout)")

                // Scaling the template through its scale subresource re-divides it.
                let scaled = try await kubectl.run(["scale", "gss", "arena", "-n", "games", "--replicas=6"])
                #expect(scaled.status == 0, "\(scaled.combined)")
                try await waitUntil("three servers on each member", seconds: 30, every: .milliseconds(200)) {
                    for member in [edge1, edge2] {
                        guard (try? await member.get(kind, namespace: "games", name: "arena"))?.value(at: ["spec", "replicas"])?.int64Value == 3
                        else { return false }
                    }
                    return true
                }

                // Deleting the template removes its copies; the CRD stays on the members while its policy holds.
                #expect(try await kubectl.run(["delete", "gss", "arena", "-n", "games"]).status == 0)
                try await waitUntil("the copies gone from the members", seconds: 30, every: .milliseconds(200)) {
                    for member in [edge1, edge2] {
                        do {
                            _ = try await member.get(kind, namespace: "games", name: "arena")
                            return false
                        } catch {
                            guard (error as? APIError)?.reason == .notFound else { return false }
                        }
                    }
                    return true
                }
                #expect((try? await edge1.get(crd, namespace: nil, name: "gameserversets.games.flotilla.io")) != nil)
            } catch {
                await fixture.stop()
                throw error
            }
            await fixture.stop()
        }

        /// Fault: a site is down while the CRD and its object propagate. Its copy of the CRD waits and lands when it is
        /// back; meanwhile the scheduler places the object where the kind is served, and a WorkloadRebalancer divides
        /// it again once the returning site serves it too. Nothing is lost: the other site's copy stays throughout.
        @Test func aSiteDownWhileTheKindPropagatesGetsItWhenItReturns() async throws {
            let fixture = try await FederationFixture.startPair()
            let kubectl = fixture.kubectl
            do {
                try await fixture.waitForReadyClusters()
                let edge2Site = try #require(fixture.sites.site(named: "edge-2"))
                await edge2Site.down()
                for file in ["gameserverset-crd.yaml", "gameserverset-customization.yaml"] {
                    #expect(try await kubectl.run(["apply", "-f", Self.manifests.appendingPathComponent(file).path]).status == 0)
                }
                #expect(try await kubectl.run(["apply", "-f", "-"], stdin: Self.policies).status == 0)
                #expect(try await kubectl.run(["apply", "-f", Self.manifests.appendingPathComponent("gameserverset.yaml").path]).status == 0)
                let stored = try await fixture.controlPlane.store.get(CustomResourceDefinition.descriptor.groupResource, namespace: nil,
                                                                      name: "gameserversets.games.flotilla.io")
                let kind = try #require(try CustomResourceDefinition(json: stored).preferredDescriptor)
                let edge1 = fixture.members["edge-1"]!, edge2 = fixture.members["edge-2"]!
                // Only edge-1 serves the kind: all four servers go there.
                try await waitUntil("four servers on edge-1", seconds: 40, every: .milliseconds(200)) {
                    (try? await edge1.get(kind, namespace: "games", name: "arena"))?.value(at: ["spec", "replicas"])?.int64Value == 4
                }
                try await edge2Site.up()
                try await waitUntil("the CRD on edge-2 once it is back", seconds: 40, every: .milliseconds(200)) {
                    guard let definition = try? await edge2.get(CustomResourceDefinition.descriptor, namespace: nil,
                                                                 name: "gameserversets.games.flotilla.io") else { return false }
                    return (try? CustomResourceDefinition(json: definition))?.isEstablished == true
                }
                let rebalance = try await kubectl.run(["apply", "-f", "-"], stdin: """
                    apiVersion: apps.karmada.io/v1alpha1
                    kind: WorkloadRebalancer
                    metadata: {name: spread-arena}
                    spec:
                      workloads: [{apiVersion: games.flotilla.io/v1alpha1, kind: GameServerSet, namespace: games, name: arena}]
                    """)
                #expect(rebalance.status == 0, "\(rebalance.combined)")
                // The rebalance waits until edge-2's discovery shows the kind (its next status probe), then divides.
                try await waitUntil("two servers on each site after the rebalance", seconds: 60, every: .milliseconds(300)) {
                    for member in [edge1, edge2] {
                        guard (try? await member.get(kind, namespace: "games", name: "arena"))?.value(at: ["spec", "replicas"])?.int64Value == 2
                        else { return false }
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
