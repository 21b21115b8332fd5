import FlotillaAPI
import FlotillaControllers
import FlotillaMEC
import FlotillaRuntime
import FlotillaStore
import FlotillaTestSupport
import KubeClient
import Synchronization
import Testing

/// One watch per kind per process: the federation's seven controller loops and the MEC services read through one
/// `SharedInformers`, and every reader still sees every object.
@Suite struct SharedInformersTests {
    /// Counts the watches opened through a client, by resource.
    final class WatchCounts: Sendable {
        let watches = Mutex<[String: Int]>([:])
        var counts: [String: Int] { watches.withLock { $0 } }

        func client(_ store: any ObjectClient) -> InterceptingClient {
            InterceptingClient(inner: store) { [self] call, resource in
                if call == .watch { watches.withLock { $0[resource.plural, default: 0] += 1 } }
            }
        }
    }

    /// The same readers, each with informers of its own (as before the runtime shared them): what sharing saves.
    @Test func withoutSharingEachReaderWatchesOnItsOwn() async throws {
        let counter = WatchCounts()
        let client = counter.client(StoreObjectClient(store: ResourceStore.memory()))
        let loops = [
            Detector(client: client).loop(), SchedulingController(client: client).loop(), BindingController(client: client).loop(),
            ClusterTaintPolicyController(client: client).loop(), FailoverController(client: client).loop(),
            WorkloadRebalancerController(client: client).loop(),
        ]
        let running = Task {
            await withTaskGroup(of: Void.self) { group in
                for loop in loops { group.addTask { await loop.run() } }
            }
        }
        try await waitUntil("every loop watching", seconds: 20) { counter.counts.values.reduce(0, +) >= 20 }
        try await Task.sleep(for: .milliseconds(300))
        let counts = counter.counts
        print("own informers: \(counts.count) kinds, \(counts.values.reduce(0, +)) watches: \(counts.filter { $0.value > 1 }.sorted { $0.key < $1.key })")
        #expect(counts["resourcebindings"] ?? 0 >= 3 && counts["clusters"] ?? 0 >= 3)
        running.cancel()
        await running.value
    }

    @Test func theFederationAndTheMECServicesWatchEachKindOnce() async throws {
        let counter = WatchCounts()
        let client = counter.client(StoreObjectClient(store: ResourceStore.memory()))
        let informers = SharedInformers(client: client)
        let federation = Federation(controlPlane: client, informers: informers)
        let mec = MECServices(controlPlane: client, connections: federation.connections, accessNetworkURL: nil)
        let running = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await federation.runControllers() }
                group.addTask { await mec.runServing() }
                group.addTask { await mec.runMobility() }
            }
        }
        // Wait for the kinds named here, not a count: on a loaded machine the loops open their watches over seconds.
        let named = ["resourcebindings", "deployments", "clusters", "appsessions", "appprofiles", "works"]
        try await waitUntil("the readers' kinds watched", seconds: 30) {
            let counts = counter.counts
            return counts.count >= 12 && named.allSatisfy { counts[$0] != nil }
        }
        try await Task.sleep(for: .milliseconds(300))
        let counts = counter.counts
        print("shared informers: \(counts.count) kinds, \(counts.values.reduce(0, +)) watches: \(counts.sorted { $0.key < $1.key })")
        #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts)")
        for kind in named {
            #expect(counts[kind] == 1, "\(kind): \(counts[kind] ?? 0)")
        }
        // Every reader still sees every object: a Deployment and its policy become a binding (detector), which the
        // scheduler reads from the same informer.
        _ = try await client.create(Namespace.descriptor, Namespace(name: "default").json())
        _ = try await client.create(Deployment.descriptor, try JSONValue.parse("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
             "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
                     "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}
            """))
        _ = try await client.create(PropagationPolicy.descriptor, try JSONValue.parse("""
            {"apiVersion":"policy.karmada.io/v1alpha1","kind":"PropagationPolicy","metadata":{"name":"web","namespace":"default"},
             "spec":{"resourceSelectors":[{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}]}}
            """))
        try await waitUntil("the binding made and looked at by the scheduler") {
            guard let binding = try? await client.get(ResourceBinding.descriptor, namespace: "default", name: "web-deployment") else { return false }
            return binding["status"]?["conditions"] != nil
        }
        #expect(counter.counts.values.allSatisfy { $0 == 1 })
        running.cancel()
        await running.value
        await federation.shutdown()
        await informers.stop()
    }
}
