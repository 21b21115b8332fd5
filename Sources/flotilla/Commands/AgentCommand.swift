import ArgumentParser
import FlotillaAPI
import FlotillaControllers
import FlotillaRuntime
import Foundation
import KubeClient
import Logging
import ServiceLifecycle
import Synchronization

/// `flotilla agent`: a Pull cluster's agent, Karmada's `karmada-agent`, for a member the control plane cannot reach.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run a Pull cluster's agent beside its member: register it, renew its lease, report its status, apply its Works.",
        discussion: """
            For a member behind NAT or a firewall: the agent makes every connection, to its member and to the control \
            plane. It registers the cluster (syncMode: Pull), renews the Lease karmada-cluster/NAME (the control plane \
            marks the cluster Ready=Unknown when it stops for serve's --cluster-monitor-grace-period, 40 s by default), keeps the \
            Cluster's status, and applies the Works of karmada-es-NAME to the member. Coming back after a partition, it \
            applies what its Works say and deletes only what a Work being deleted applied. The control plane does not \
            read a Pull member's metrics or EndpointSlices (FederatedHPA, VerticalPodAutoscaler, kubectl top, service \
            routing and MEC discovery leave it out). Stop with Ctrl-C (SIGINT) or SIGTERM.
              flotilla agent --kubeconfig sites/edge-9.kubeconfig --control-plane-kubeconfig flotilla-data/admin.kubeconfig \\
                --cluster-name edge-9 --region eu --zone eu-b
            """
    )

    @Option(help: "Name of the cluster in the control plane.")
    var clusterName: String

    @OptionGroup var cluster: MemberClusterOptions

    @Option(help: "Seconds between lease renewals (the lease lasts four times as long).")
    var leaseInterval: Double = 10

    @Option(help: "Seconds between status reports (Karmada's --cluster-status-update-frequency).")
    var statusInterval: Double = 10

    @OptionGroup var controlPlane: ControlPlaneOptions
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard leaseInterval > 0, statusInterval > 0 else { throw ValidationError("--lease-interval and --status-interval must be positive") }
        _ = try cluster.labelMap()
    }

    func run() async throws {
        let logger = global.logger("flotilla.agent")
        let member = try KubeClient(credentials: try cluster.credentials())
        let client = try controlPlane.client()
        var status = ClusterStatusConfiguration()
        status.interval = .milliseconds(Int64(statusInterval * 1000))
        let agent = PullAgent(controlPlane: client, member: member, configuration: PullAgent.Configuration(
            cluster: clusterName, labels: try cluster.labelMap(), provider: cluster.provider, region: cluster.region, zone: cluster.zone,
            leaseInterval: .milliseconds(Int64(leaseInterval * 1000)), clusterStatus: status), logger: logger)
        let service = LongRunner {
            // The control plane may not be up yet (or not reachable for a while): registration is tried until it
            // answers, but a refusal (a Push cluster of that name, a bad name) ends the agent.
            guard await Self.register(agent, logger: logger) else { return }
            FileHandle.standardOutput.write(Data("agent for cluster/\(clusterName) registered (Pull)\n".utf8))
            await agent.run()
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        // A refused registration ends the agent's one service, which the group reports as an error: the clients
        // are shut down either way, and the exit status says why.
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
        }
        await client.shutdown()
        await member.shutdown()
        if Self.refused.withLock({ $0 }) { throw ExitCode.failure }
        if let failure { throw failure }
        logger.notice("stopped")
    }

    private static let refused = Mutex(false)

    /// Registers, retrying while the control plane does not answer; false when it refused or the agent is stopping.
    static func register(_ agent: PullAgent, logger: Logger) async -> Bool {
        var delay = Duration.milliseconds(500)
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await agent.register()
                return true
            } catch where [.unreachable, .serviceUnavailable, .timeout, .internalError, .tooManyRequests].contains(error.reason) {
                logger.warning("cannot register yet; trying again", metadata: ["error": "\(error.message)", "in": "\(delay)"])
                try? await cancelWhenGracefulShutdown { [delay] in try await Task.sleep(for: delay) }
                delay = min(delay * 2, .seconds(10))
            } catch {
                FileHandle.standardError.write(Data("error: cannot register \(agent.configuration.cluster): \(error.message)\n".utf8))
                refused.withLock { $0 = true }
                return false
            }
        }
        return false
    }
}
