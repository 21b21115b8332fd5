import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaMEC
import FlotillaTestSupport
import Foundation
import KubeClient
import Synchronization

/// What the federation end-to-end tests start: a control plane running the federation controllers (fast cluster
/// status), simulated sites, each joined with `flotilla join` as a user would, kubectl 1.33 on the control plane and
/// a KubeClient per member. `stop()` takes it all down.
struct FederationFixture {
    let controlPlane: RunningServer
    let running: Task<Void, Never>
    let sites: SiteHost
    let directory: URL
    let kubectl: Kubectl
    let members: [String: KubeClient]
    /// Discovery, registry and mobility, when started with an access network.
    let mec: MECServices?
    let mecTask: Task<Void, Never>?

    struct JoinFailed: Error, CustomStringConvertible {
        var description: String
    }

    /// A site with one or more nodes of `cpu` CPUs and 8 GiB each.
    static func site(_ name: String, region: String, nodes: Int, cpu: Int64 = 4) -> SiteSpec {
        var spec = SiteSpec(name: name, region: region, nodes: nodes)
        spec.cpu = Quantity(cpu)
        spec.memory = try! Quantity(parsing: "8Gi")
        spec.pods = 110
        return spec
    }

    /// What most federation suites start: edge-1 and edge-2 in one region (one node each unless said), with kubelets
    /// that start pods in about 100 ms.
    static func startPair(nodes: (Int, Int) = (1, 1)) async throws -> FederationFixture {
        try await start(sites: [site("edge-1", region: "eu", nodes: nodes.0), site("edge-2", region: "eu", nodes: nodes.1)],
                        kubelet: KubeletConfiguration(startupDelay: .milliseconds(100), jitter: .milliseconds(50)))
    }

    static func start(sites specs: [SiteSpec], kubelet: KubeletConfiguration, accessNetworkURL: String? = nil,
                      mobility: MobilityService.Configuration = .init()) async throws -> FederationFixture {
        // The server needs the discovery extension before it starts, and the extension needs the federation's member
        // connections, which need the store the server makes: so the pieces are built inside the extension closure.
        let built = Mutex<(Federation, MECServices?)?>(nil)
        let controlPlane = try await RunningServer.start(extensions: { store in
            let client = StoreObjectClient(store: store)
            let federation = Federation(controlPlane: client, configuration: Federation.Configuration(
                clusterStatus: ClusterStatusConfiguration(interval: .milliseconds(300), failureThreshold: .seconds(5), probeTimeout: .seconds(1),
                                                          successThreshold: .seconds(1))))
            let mec = accessNetworkURL.map { MECServices(controlPlane: client, connections: federation.connections, accessNetworkURL: $0,
                                                         mobility: mobility) }
            built.withLock { $0 = (federation, mec) }
            return (mec?.extensions ?? []) + [OpenServiceBroker(client: client), ServiceManagementAPI(client: client)]
        }, tokenAuthority: { store in CatalogBindingTokens(client: StoreObjectClient(store: store)) },
           computedResources: { built.withLock { $0?.0.metricsSource } })
        let (federation, mec) = built.withLock { $0! }
        let running = Task { await federation.run() }
        let mecTask = mec.map { services in Task { await services.run() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-e2e-\(UUID().uuidString)")
        var members: [String: KubeClient] = [:]
        var sites: SiteHost?
        do {
            let host = try SiteHost(directory: directory, specs: specs, kubelet: kubelet)
            sites = host
            try await host.start()
            let kubectl = try Kubectl(version: "1.33", kubeconfig: controlPlane.data.adminKubeconfig.path)
            for site in host.sites {
                let joined = try await ProcessRunner.run(ServeLifecycleTests.flotilla, ["join", site.name, "--kubeconfig", site.kubeconfig.path,
                    "--control-plane-kubeconfig", controlPlane.data.adminKubeconfig.path, "--region", site.spec.region ?? ""])
                guard joined.status == 0, joined.stdout.contains("cluster/\(site.name) joined") else {
                    throw JoinFailed(description: "flotilla join \(site.name): \(joined.combined)")
                }
                members[site.name] = try KubeClient(kubeconfig: site.kubeconfig.path)
            }
            return FederationFixture(controlPlane: controlPlane, running: running, sites: host, directory: directory, kubectl: kubectl,
                members: members, mec: mec, mecTask: mecTask)
        } catch {
            // Half started: stop what did start (an HTTP client dropped unshut traps in debug builds).
            await stop(members: members, mecTask: mecTask, running: running, sites: sites, controlPlane: controlPlane, directory: directory)
            throw error
        }
    }

    /// Starts a federation, runs `body` with it and stops it, whether `body` returned or threw.
    static func with<T>(sites specs: [SiteSpec], kubelet: KubeletConfiguration, accessNetworkURL: String? = nil,
                        mobility: MobilityService.Configuration = .init(), _ body: (FederationFixture) async throws -> T) async throws -> T {
        let fixture = try await start(sites: specs, kubelet: kubelet, accessNetworkURL: accessNetworkURL, mobility: mobility)
        return try await withCleanup({ try await body(fixture) }, cleanup: { await fixture.stop() })
    }

    /// Waits until every joined cluster shows Ready in `kubectl get clusters`.
    func waitForReadyClusters() async throws {
        let count = members.count
        try await waitUntil("\(count) Ready clusters", seconds: 30, every: .milliseconds(100)) {
            try await kubectl.run(["get", "clusters"]).stdout.components(separatedBy: "\n").filter { $0.contains(" True ") }.count == count
        }
    }

    func stop() async {
        await Self.stop(members: members, mecTask: mecTask, running: running, sites: sites, controlPlane: controlPlane, directory: directory)
    }

    private static func stop(members: [String: KubeClient], mecTask: Task<Void, Never>?, running: Task<Void, Never>, sites: SiteHost?,
                             controlPlane: RunningServer, directory: URL) async {
        for member in members.values { await member.shutdown() }
        mecTask?.cancel()
        await mecTask?.value
        running.cancel()
        await running.value
        await sites?.stop()
        await controlPlane.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
