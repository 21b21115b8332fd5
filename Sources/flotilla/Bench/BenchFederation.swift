import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaServer
import FlotillaStore
import Foundation
import KubeClient
import Logging

/// What the federation-level benches start: a control plane on SQLite in a temporary directory running every
/// federation controller, N generated sites in the bench's process (reached only over HTTPS), each joined with its
/// region, zone and provider, and all of them Ready. `stop()` takes it down and removes the directory.
///
/// With `pullSites`, the last that many sites are Pull clusters instead: each has a `PullAgent` in the bench's
/// process, which reaches the control plane only through its HTTPS API (served over the same store) with a client of
/// its own, and its member over HTTPS, as `flotilla agent` does.
struct BenchFederation {
    let root: URL
    let store: any Store
    let controlPlane: StoreObjectClient
    let host: SiteHost
    let federation: Federation
    let running: Task<Void, Never>
    /// The Pull sites' names, and what runs for them.
    let pull: Set<String>
    let agents: [(task: Task<Void, Never>, clients: [KubeClient])]
    let api: Task<Void, any Error>?

    static func start(_ name: String, sites: Int, pullSites: Int = 0, kubelet: KubeletConfiguration,
                      configuration: Federation.Configuration = .init(), readyWithin seconds: Double = 120) async throws -> BenchFederation {
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
        let pullNames = Set(host.sites.suffix(max(0, min(pullSites, sites))).map(\.name))
        var api: Task<Void, any Error>?
        var kubeconfig: URL?
        if !pullNames.isEmpty {
            let quiet = Logger(label: "flotilla.bench", factory: { _ in SwiftLogNoOpLogHandler() })
            let data = try DataDirectory.prepare(root.appendingPathComponent("control-plane"))
            let server = APIServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0, tls: true), data: data, store: store, logger: quiet)
            try await server.bootstrap()
            let (ports, port) = AsyncStream<Int>.makeStream()
            let app = try server.makeApplication(transportLogger: quiet) { port.yield($0) }
            api = Task { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            _ = await iterator.next()
            kubeconfig = data.adminKubeconfig
        }
        var agents: [(task: Task<Void, Never>, clients: [KubeClient])] = []
        for site in host.sites where pullNames.contains(site.name) {
            guard let kubeconfig else { break }
            let member = try KubeClient(kubeconfig: site.kubeconfig.path)
            let client = try KubeClient(kubeconfig: kubeconfig.path)
            let agent = PullAgent(controlPlane: client, member: member, configuration: PullAgent.Configuration(
                cluster: site.name, provider: site.spec.provider, region: site.spec.region, zone: site.spec.zone,
                clusterStatus: configuration.clusterStatus), logger: Logger(label: "flotilla.agent", factory: { _ in SwiftLogNoOpLogHandler() }))
            try await agent.register()
            agents.append((Task { await agent.run() }, [member, client]))
        }
        let bench = BenchFederation(root: root, store: store, controlPlane: controlPlane, host: host, federation: federation, running: running,
                                    pull: pullNames, agents: agents, api: api)
        do {
            for site in host.sites where !pullNames.contains(site.name) {
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
        for agent in agents { agent.task.cancel() }
        for agent in agents {
            await agent.task.value
            for client in agent.clients { await client.shutdown() }
        }
        running.cancel()
        await running.value
        api?.cancel()
        _ = await api?.result
        await host.stop()
        try? FileManager.default.removeItem(at: root)
    }
}
