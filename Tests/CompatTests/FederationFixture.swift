import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaTestSupport
import Foundation
import KubeClient

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

    static func start(sites specs: [SiteSpec], kubelet: KubeletConfiguration) async throws -> FederationFixture {
        let controlPlane = try await RunningServer.start()
        let federation = Federation(controlPlane: StoreObjectClient(store: controlPlane.store), configuration: Federation.Configuration(
            clusterStatus: ClusterStatusConfiguration(interval: .milliseconds(300), failureThreshold: .seconds(5), probeTimeout: .seconds(1))))
        let running = Task { await federation.run() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-e2e-\(UUID().uuidString)")
        let sites = try SiteHost(directory: directory, specs: specs, kubelet: kubelet)
        try await sites.start()
        let kubectl = try Kubectl(version: "1.33", kubeconfig: controlPlane.data.adminKubeconfig.path)
        var members: [String: KubeClient] = [:]
        for site in sites.sites {
            let joined = try await ProcessRunner.run(ServeLifecycleTests.flotilla, ["join", site.name, "--kubeconfig", site.kubeconfig.path,
                "--control-plane-kubeconfig", controlPlane.data.adminKubeconfig.path, "--region", site.spec.region ?? ""])
            guard joined.status == 0, joined.stdout.contains("cluster/\(site.name) joined") else {
                throw JoinFailed(description: "flotilla join \(site.name): \(joined.combined)")
            }
            members[site.name] = try KubeClient(kubeconfig: site.kubeconfig.path)
        }
        return FederationFixture(controlPlane: controlPlane, running: running, sites: sites, directory: directory, kubectl: kubectl,
            members: members)
    }

    /// Waits until every joined cluster shows Ready in `kubectl get clusters`.
    func waitForReadyClusters() async throws {
        let count = members.count
        try await waitUntil("\(count) Ready clusters", seconds: 30, every: .milliseconds(100)) {
            try await kubectl.run(["get", "clusters"]).stdout.components(separatedBy: "\n").filter { $0.contains(" True ") }.count == count
        }
    }

    func stop() async {
        for member in members.values { await member.shutdown() }
        running.cancel()
        await running.value
        await sites.stop()
        await controlPlane.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
