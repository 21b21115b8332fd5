import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaStore
import Foundation
import KubeClient

/// What the federation-level benches start: a control plane on SQLite in a temporary directory running every
/// federation controller, N generated sites in the bench's process (reached only over HTTPS), each joined with its
/// region, zone and provider, and all of them Ready. `stop()` takes it down and removes the directory.
struct BenchFederation {
    let root: URL
    let store: any Store
    let controlPlane: StoreObjectClient
    let host: SiteHost
    let federation: Federation
    let running: Task<Void, Never>

    static func start(_ name: String, sites: Int, kubelet: KubeletConfiguration, configuration: Federation.Configuration = .init(),
                      readyWithin seconds: Double = 120) async throws -> BenchFederation {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-bench-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let store = try ResourceStore.sqlite(path: root.appendingPathComponent("flotilla.sqlite").path)
        let controlPlane = StoreObjectClient(store: store)
        for namespace in ["default", "karmada-system", "karmada-cluster"] {
            _ = try? await controlPlane.create(Namespace.descriptor, Namespace(name: namespace).json())
        }
        let host = try SiteHost(directory: root.appendingPathComponent("sites"), specs: SiteProfile.generated(count: sites).resolvedSites,
            kubelet: kubelet)
        try await host.start()
        let federation = Federation(controlPlane: controlPlane, configuration: configuration)
        let running = Task { await federation.run() }
        let bench = BenchFederation(root: root, store: store, controlPlane: controlPlane, host: host, federation: federation, running: running)
        do {
            for site in host.sites {
                try await ClusterJoin.join(name: site.name, member: try KubeconfigFile.load(path: site.kubeconfig.path),
                    options: ClusterJoin.Options(region: site.spec.region, zone: site.spec.zone, provider: site.spec.provider),
                    controlPlane: controlPlane)
            }
            try await waitUntil("\(sites) clusters Ready", seconds: seconds) {
                try await controlPlane.list(Cluster.descriptor, namespace: nil, options: .everything).items
                    .compactMap { try? Cluster(json: $0) }.filter(\.isReady).count == sites
            }
        } catch {
            await bench.stop()
            throw error
        }
        return bench
    }

    func stop() async {
        running.cancel()
        await running.value
        await host.stop()
        try? FileManager.default.removeItem(at: root)
    }
}
