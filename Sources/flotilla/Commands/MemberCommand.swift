import ArgumentParser
import EdgeClusterSim
import FlotillaAPI
import FlotillaGateway
import Foundation
import KubeClient
import Hummingbird
import Logging
import ServiceLifecycle

/// `flotilla member`: simulated edge clusters (KWOK-like) that kubectl and the federation talk to over HTTPS.
struct MemberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member",
        abstract: "Run simulated edge clusters: many Kubernetes API sites in one process, with fault injection.",
        discussion: """
            Each site serves nodes, pods, deployments (with scale), services, endpoints, configmaps, secrets, events \
            and namespaces over HTTPS with its own CA and token, and writes DIR/<site>.kubeconfig. Fake controllers \
            and kubelets make deployments run; images in the workload registry (flotilla/echo) really listen on a \
            loopback port. Stop with Ctrl-C (SIGINT) or SIGTERM.
              flotilla member --data-dir sites --sites 3 --base-port 7443
              kubectl --kubeconfig sites/edge-1.kubeconfig get nodes
            Faults, through the admin endpoint it prints:
              curl -X POST http://127.0.0.1:ADMIN/sites/edge-1/down      (also: up, partition, heal, latency?ms=200)
              curl -X POST http://127.0.0.1:ADMIN/sites/edge-1/pods/default/POD/crash
              curl -X POST http://127.0.0.1:ADMIN/sites/edge-1/nodes/edge-1-node-1/drain   (and uncordon)
            """
    )

    @Option(help: "Directory for each site's CA, tokens and kubeconfig.")
    var dataDir: String = "flotilla-sites"

    @Option(help: "Number of sites (edge-1 … edge-N); with --profile, the first N of its sites.")
    var sites: Int?

    @Option(help: "First port; site i listens on base-port + i. Without it, free ports are picked.")
    var basePort: Int?

    @Option(help: "A SiteProfile YAML file: sites with region, zone, provider, nodes, cpu/memory per node, labels, position.")
    var profile: String?

    @Option(help: "Run a single site with this name (with --port).")
    var name: String?

    @Option(help: "Port of the single site named by --name.")
    var port: Int?

    @Option(help: "Port of the fault-injection endpoint on 127.0.0.1 (0 picks a free one).")
    var adminPort: Int = 0

    @Option(help: "Seconds from a pod being bound to Running and Ready.")
    var startupDelay: Double = 1.0

    @Option(help: "Extra random startup delay, up to this many seconds.")
    var jitter: Double = 0.5

    @Option(help: "Also run an edge data gateway per site, watching this control plane's TrafficRules (docs/gateway.md); each writes DIR/<site>.gateway.")
    var controlPlaneKubeconfig: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let sites, sites < 1 || sites > 1000 { throw ValidationError("--sites must be between 1 and 1000") }
        if name != nil, sites != nil { throw ValidationError("--name runs one site; do not combine it with --sites") }
        if port != nil, name == nil { throw ValidationError("--port is for the single site named by --name; use --base-port for many") }
        if startupDelay < 0 || jitter < 0 { throw ValidationError("--startup-delay and --jitter must not be negative") }
        for value in [basePort, port, adminPort].compactMap({ $0 }) where !(0...65535).contains(value) {
            throw ValidationError("ports must be between 0 and 65535")
        }
    }

    func siteSpecs() throws -> [SiteSpec] {
        var specs: [SiteSpec]
        if let profile {
            specs = try SiteProfile.load(path: profile).resolvedSites
            if let sites {
                guard sites <= specs.count else {
                    throw ValidationError("--sites \(sites) but the profile defines only \(specs.count) sites")
                }
                specs = Array(specs.prefix(sites))
            }
        } else {
            specs = SiteProfile.generated(count: sites ?? 1).resolvedSites
        }
        if let name {
            guard NameValidation.dns1123Label(name).isEmpty else { throw ValidationError("--name must be a DNS-1123 label") }
            let template = specs.first { $0.name == name } ?? specs[0]
            var single = template
            single.name = name
            specs = [single]
        }
        return specs
    }

    func run() async throws {
        let logger = global.logger("flotilla.member")
        let directory = URL(fileURLWithPath: dataDir)
        let host = try SiteHost(directory: directory, specs: try siteSpecs(),
            kubelet: KubeletConfiguration(startupDelay: .milliseconds(Int64(startupDelay * 1000)), jitter: .milliseconds(Int64(jitter * 1000))),
            logger: logger)
        let admin = Application(router: MemberAdminServer(host: host).router(),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: adminPort), serverName: "flotilla-member"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                try? "http://127.0.0.1:\(port)\n".write(to: directory.appendingPathComponent("admin.address"), atomically: true, encoding: .utf8)
                FileHandle.standardOutput.write(Data("member admin listening on 127.0.0.1:\(port)\n".utf8))
            },
            logger: logger)
        let sites = SiteHostService(host: host, basePort: name != nil ? port : basePort, directory: directory,
                                    controlPlaneKubeconfig: controlPlaneKubeconfig, logger: logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: admin), .init(service: sites, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("stopped")
    }
}

/// Starts the sites, prints where each listens, and stops them on graceful shutdown.
struct SiteHostService: ServiceLifecycle.Service {
    let host: SiteHost
    let basePort: Int?
    let directory: URL
    /// With it, each site also gets an edge data gateway watching that control plane's TrafficRules.
    let controlPlaneKubeconfig: String?
    let logger: Logger

    func run() async throws {
        try await host.start(basePort: basePort)
        let summary = await host.summary()
        var lines = ""
        for site in summary {
            lines += "site \(site.name) listening on 127.0.0.1:\(site.port) (kubeconfig \(site.kubeconfig))\n"
        }
        var gateways: [EdgeDataGateway] = []
        var watching: Task<Void, Never>?
        var client: KubeClient?
        if let controlPlaneKubeconfig {
            let controlPlane = try KubeClient(kubeconfig: controlPlaneKubeconfig)
            client = controlPlane
            for site in summary {
                let gateway = try await EdgeDataGateway.start(.init(site: site.name), metrics: GatewayMetrics(site: site.name), logger: logger)
                gateways.append(gateway)
                try "127.0.0.1:\(gateway.port)\n".write(to: directory.appendingPathComponent("\(site.name).gateway"), atomically: true, encoding: .utf8)
                lines += "site \(site.name) edge data gateway (GTP-U) on 127.0.0.1:\(gateway.port)\n"
            }
            let watcher = TrafficRuleWatcher(client: controlPlane, gateways: gateways, instances: { namespace, app in
                await GatewayCommand.instances(client: controlPlane, namespace: namespace, app: app)
            }, logger: logger)
            watching = Task { try? await watcher.run() }
        }
        FileHandle.standardOutput.write(Data(lines.utf8))
        try? await gracefulShutdown()
        watching?.cancel()
        await watching?.value
        for gateway in gateways { await gateway.stop() }
        await client?.shutdown()
        await host.stop()
    }
}
