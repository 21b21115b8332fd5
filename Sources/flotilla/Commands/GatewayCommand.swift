import ArgumentParser
import FlotillaAPI
import FlotillaGateway
import Foundation
import Hummingbird
import KubeClient
import Logging
import NIOCore
import ServiceLifecycle

/// `flotilla gateway`: a site's edge data gateway as its own process.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run a site's edge data gateway: GTP-U from the UPFs, each UE's flow to its session's instance per the TrafficRules.",
        discussion: """
            The gateway listens for GTP-U G-PDUs (IPv4/UDP inside) from the operators' UPFs, matches each flow against \
            the control plane's TrafficRules (ETSI MEC 011-shaped, written by the mobility service for every session of \
            an app with spec.dataPath) and forwards it: decapsulated to the instance holding the session (at another \
            site after --site-delay), held while the session is frozen for a move, dropped or passed through. Answers \
            go back through the tunnel. A rule forwarding to an instance its app does not have is not applied (the last \
            good version stays; an Event says why). Counters per flow and rule are on /metrics. Stop with Ctrl-C \
            (SIGINT) or SIGTERM.
              flotilla gateway --site edge-1 --control-plane-kubeconfig cp/admin.kubeconfig --listen 127.0.0.1:2152 \\
                --site-delay edge-2=2.5 --metrics-port 9102
            """
    )

    @Option(help: "The cluster (site) this gateway serves.")
    var site: String

    @Option(help: "Kubeconfig of the control plane (TrafficRules are watched there).")
    var controlPlaneKubeconfig: String

    @Option(help: "host:port for GTP-U from the UPFs (loopback only).")
    var listen: String = "127.0.0.1:2152"

    @Option(help: "Port on the --listen host for TCP from the UPFs (each connection starts with a PROXY v2 header); without it, no TCP.")
    var tcpPort: Int?

    @Option(help: "Port for /metrics and /healthz on 127.0.0.1 (0 picks a free one).")
    var metricsPort: Int = 0

    @Option(parsing: .singleValue, help: "One-way delay to another site, SITE=MS (repeatable); forwarding there waits it each way.")
    var siteDelay: [String] = []

    @Option(help: "host:port where PASSTHROUGH traffic (and flows no rule matches) goes, as GTP-U; without it they are dropped.")
    var passthrough: String?

    @Option(help: "Packets held per flow while its session is frozen, at most.")
    var maxHeldPackets: Int = 512

    @Option(help: "Milliseconds a packet is held at most.")
    var maxHoldMs: Int = 2000

    @Option(help: "Milliseconds a hold may wait for the next packet of a flow that keeps a pace, so that it begins in the gap after one (0: holds begin at once).")
    var holdAlignmentMs: Int = 50

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard let (host, port) = Self.hostPort(listen), ["127.0.0.1", "::1"].contains(host), (0...65535).contains(port) else {
            throw ValidationError("--listen must be 127.0.0.1:PORT or [::1]:PORT")
        }
        _ = try delays()
        if let passthrough, Self.hostPort(passthrough) == nil { throw ValidationError("--passthrough must be host:port") }
        if let tcpPort, !(0...65535).contains(tcpPort) { throw ValidationError("--tcp-port must be 0 to 65535") }
        guard maxHeldPackets > 0, maxHoldMs > 0 else { throw ValidationError("--max-held-packets and --max-hold-ms must be positive") }
        guard (0...1000).contains(holdAlignmentMs) else { throw ValidationError("--hold-alignment-ms must be 0 to 1000") }
    }

    func delays() throws -> [String: Double] {
        var result: [String: Double] = [:]
        for entry in siteDelay {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let ms = Double(parts[1]), ms >= 0 else { throw ValidationError("--site-delay must be SITE=MS, got \(entry)") }
            result[String(parts[0])] = ms
        }
        return result
    }

    static func hostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        return (String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
    }

    func run() async throws {
        let logger = global.logger("flotilla.gateway")
        let client = try KubeClient(kubeconfig: controlPlaneKubeconfig)
        let delays = try delays()
        let (host, port) = Self.hostPort(listen)!
        var configuration = EdgeDataGateway.Configuration(site: site, host: host, port: port, oneWayMs: { delays[$0] ?? 0 },
                                                          limits: .init(maxHeldPackets: maxHeldPackets, maxHold: .milliseconds(maxHoldMs),
                                                                        holdAlignment: .milliseconds(holdAlignmentMs)),
                                                          tcpPort: tcpPort)
        if let passthrough, let (h, p) = Self.hostPort(passthrough) { configuration.passthrough = try SocketAddress(ipAddress: h, port: p) }
        let gateway = try await EdgeDataGateway.start(configuration, metrics: GatewayMetrics(site: site), logger: logger)
        // Written at once (print is buffered when stdout is a pipe): scripts wait for these lines.
        FileHandle.standardOutput.write(Data(("gateway \(site) listening for GTP-U on \(host):\(gateway.port)"
            + (gateway.tcpPort.map { " and TCP (PROXY v2) on \(host):\($0)" } ?? "") + "\n").utf8))
        let watcher = TrafficRuleWatcher(client: client, gateways: [gateway], instances: { namespace, app in
            await Self.instances(client: client, namespace: namespace, app: app)
        }, logger: logger)
        let router = Router()
        router.get("/metrics") { _, _ in gateway.metrics.exposition() }
        router.get("/healthz") { _, _ in "ok" }
        let http = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: metricsPort),
                                                                                       serverName: "flotilla-gateway"),
                               onServerRunning: { channel in
                                   FileHandle.standardOutput.write(Data("gateway metrics on http://127.0.0.1:\(channel.localAddress?.port ?? 0)/metrics\n".utf8))
                               },
                               logger: logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: http), .init(service: watcher)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await gateway.stop()
        await client.shutdown()
        logger.notice("stopped")
    }

    /// The app's instances from the control plane's discovery API; nil when it cannot say (the rule is then trusted).
    static func instances(client: KubeClient, namespace: String, app: String) async -> Set<String>? {
        guard let text = try? await client.raw("/mec/discovery/v1/namespaces/\(namespace)/apps/\(app)/instances", timeout: .seconds(2)),
              let body = try? JSONValue.parse(Array(text.utf8)), let list = body["instances"]?.arrayValue else { return nil }
        return Set(list.compactMap { $0["endpoint"]?.stringValue })
    }
}
