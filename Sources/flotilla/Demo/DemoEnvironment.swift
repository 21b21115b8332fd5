import AccessNetworkSim
import EdgeClusterSim
import FlotillaAPI
import FlotillaControllers
import FlotillaMEC
import FlotillaServer
import FlotillaStore
import Foundation
import KubeClient
import Logging

/// Everything `flotilla demo` starts, and stops again: the control plane (HTTPS API over an embedded SQLite store in a
/// temporary directory, federation controllers, MEC services), one simulated site per scenario site, joined, and the
/// access network simulator on its own HTTP port.
struct DemoEnvironment {
    let directory: URL
    let server: APIServer
    let serverTask: Task<Void, any Error>
    let apiPort: Int
    /// The live dashboard, with the read-only viewer token a browser needs.
    let dashboardURL: String
    let controlPlane: StoreObjectClient
    let api: KubeClient
    let federationTask: Task<Void, Never>
    let mec: MECServices
    let mecTask: Task<Void, Never>
    let sites: SiteHost
    let runner: SimulationRunner
    let simTask: Task<Void, any Error>
    let simURL: String
    let callbacks: HTTPTransport

    static func start(scenario: Scenario, network: sending AccessNetwork, speed: Double, log: (String) -> Void) async throws -> DemoEnvironment {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-demo-\(UUID().uuidString)")
        // The demo prints its own progress; the servers' logs (and their shutdown noise) stay out of it.
        var quiet = Logger(label: "flotilla.demo")
        quiet.logLevel = .critical

        // The access network first: the MEC services subscribe to it.
        let callbacks = HTTPTransport()
        let (ueCount, cellCount) = (network.ueCount, network.topology.cells.count)
        let runner = SimulationRunner(network: network, hub: NotificationHub(sender: HTTPNotificationSender(client: callbacks.client)), speed: speed)
        let (simPorts, simPort) = AsyncStream<Int>.makeStream()
        let simApp = AccessNetworkServer(runner: runner, logger: quiet) { simPort.yield($0) }.makeApplication()
        let simTask = Task {
            // The engine paced at real time, and its API; both end when the task is cancelled.
            async let engine: Void = runner.run()
            try await simApp.runService()
            await engine
        }
        var simIterator = simPorts.makeAsyncIterator()
        let simURL = "http://127.0.0.1:\(await simIterator.next() ?? 0)"
        log("access network: \(scenario.name) (\(ueCount) UEs, \(cellCount) cells, "
            + "\(scenario.operators.count) operators) at \(simURL)")

        // The control plane.
        let data = try DataDirectory.prepare(directory.appendingPathComponent("control-plane"))
        let store = try ResourceStore.sqlite(path: data.storePath)
        let controlPlane = StoreObjectClient(store: store)
        var server = APIServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0, tls: true), data: data, store: store, logger: quiet)
        let federation = Federation(controlPlane: controlPlane, configuration: Federation.Configuration(
            clusterStatus: ClusterStatusConfiguration(interval: .milliseconds(500), failureThreshold: .seconds(3), probeTimeout: .seconds(1))),
            logger: quiet)
        let mec = MECServices(controlPlane: controlPlane, connections: federation.connections, accessNetworkURL: simURL, logger: quiet)
        server.extensions = mec.extensions
        server.computedResources = federation.metricsSource
        try await server.bootstrap()
        let (apiPorts, apiPort) = AsyncStream<Int>.makeStream()
        let app = try server.makeApplication(transportLogger: quiet) { apiPort.yield($0) }
        let serverTask = Task { try await app.run() }
        var apiIterator = apiPorts.makeAsyncIterator()
        let port = await apiIterator.next() ?? 0
        let federationTask = Task { await federation.run() }
        let mecTask = Task { await mec.run() }
        let api = try KubeClient(kubeconfig: data.adminKubeconfig.path)
        log("control plane: https://127.0.0.1:\(port) (kubectl --kubeconfig \(data.adminKubeconfig.path))")
        let dashboardURL = "https://127.0.0.1:\(port)/dashboard/?token=\(data.viewerToken)"
        log("dashboard: \(dashboardURL) (the control plane's own CA signs it: \(data.url.path)/ca.crt)")

        // One simulated site per scenario site, joined as `flotilla join` would.
        let specs = scenario.sites.map { site in
            SiteSpec(name: site.cluster, region: site.zones.isEmpty ? "cloud" : "city", nodes: 2, cpu: Quantity(8),
                     memory: try! Quantity(parsing: "16Gi"), pods: 110)
        }
        let sites = try SiteHost(directory: directory.appendingPathComponent("sites"), specs: specs,
                                 kubelet: KubeletConfiguration(startupDelay: .milliseconds(100), jitter: .milliseconds(50)))
        try await sites.start()
        for site in sites.sites {
            _ = try await ClusterJoin.join(name: site.name, member: try KubeconfigFile.load(path: site.kubeconfig.path),
                options: ClusterJoin.Options(region: site.spec.region), controlPlane: controlPlane)
        }
        log("sites: \(sites.sites.map(\.name).joined(separator: ", ")) started and joined")
        return DemoEnvironment(directory: directory, server: server, serverTask: serverTask, apiPort: port, dashboardURL: dashboardURL,
            controlPlane: controlPlane, api: api,
            federationTask: federationTask, mec: mec, mecTask: mecTask, sites: sites, runner: runner, simTask: simTask, simURL: simURL,
            callbacks: callbacks)
    }

    /// The documents of the manifests directory, each with the kind the control plane serves it as.
    func documents(directory manifests: String) throws -> [(descriptor: ResourceDescriptor, object: JSONValue)] {
        try ManifestLoader.load([manifests]).map { document in
            let object = document.value
            guard let descriptor = ResourceRegistry.controlPlane.descriptor(apiVersion: object.apiVersion ?? "", kind: object.kind ?? "") else {
                throw DemoError("\(document.source): \(object.kind ?? "?") is not a kind this control plane serves")
            }
            return (descriptor, object)
        }
    }

    /// Applies documents through the API (create, or update what exists); their `kind/name`s.
    func apply(_ documents: [(descriptor: ResourceDescriptor, object: JSONValue)]) async throws -> [String] {
        var applied: [String] = []
        for (descriptor, object) in documents {
            try await api.createOrUpdate(descriptor, object)
            applied.append("\(descriptor.kind.lowercased())/\(object.name ?? "")")
        }
        return applied
    }

    func stop() async {
        mecTask.cancel()
        await mecTask.value
        federationTask.cancel()
        await federationTask.value
        await sites.stop()
        await api.shutdown()
        serverTask.cancel()
        _ = await serverTask.result
        runner.hub.closeAllStreams()
        simTask.cancel()
        _ = await simTask.result
        await callbacks.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}

struct DemoError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
