import FlotillaAPI
import FlotillaRuntime
import Foundation
import KubeClient
import Logging
import ServiceLifecycle

/// A Pull cluster's agent, Karmada's `karmada-agent`: it runs beside a member the control plane cannot reach (behind
/// NAT or a firewall) and makes every connection itself. It
/// - registers the cluster (`syncMode: Pull`; a Push cluster of that name is refused, not taken over);
/// - renews the cluster's Lease (`AgentLease`), which is how the control plane tells it is alive;
/// - keeps the Cluster's status (the same `ClusterStatusController` the control plane runs for Push clusters);
/// - applies the Works of `karmada-es-<cluster>` and reports their status (the same `ExecutionController`).
///
/// It reads only its own Cluster and execution namespace (besides the interpreter customizations and CRDs every
/// member applies by). What runs on the member is deleted only for a Work that is itself being deleted: an agent that
/// comes back after a long partition, or restarts with nothing in memory, applies what its Works say and removes
/// nothing else (karmada #5406).
public struct PullAgent: Sendable {
    public struct Configuration: Sendable {
        public var cluster: String
        public var labels: [String: String]
        public var provider: String?
        public var region: String?
        public var zone: String?
        /// How often the Lease is renewed (its duration is four times this).
        public var leaseInterval: Duration
        public var clusterStatus: ClusterStatusConfiguration

        public init(cluster: String, labels: [String: String] = [:], provider: String? = nil, region: String? = nil, zone: String? = nil,
                    leaseInterval: Duration = .seconds(10), clusterStatus: ClusterStatusConfiguration = .init()) {
            self.cluster = cluster
            self.labels = labels
            self.provider = provider
            self.region = region
            self.zone = zone
            self.leaseInterval = leaseInterval
            self.clusterStatus = clusterStatus
        }
    }

    public let controlPlane: any ObjectClient
    public let member: KubeClient
    public let configuration: Configuration
    let clock: any TimeSource
    let logger: Logger

    public init(controlPlane: any ObjectClient, member: KubeClient, configuration: Configuration,
                clock: any TimeSource = SystemTimeSource(), logger: Logger = Logger(label: "flotilla.agent")) {
        self.controlPlane = controlPlane
        self.member = member
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    /// Creates the Cluster (Pull), or brings the given labels and location onto an existing Pull cluster of that
    /// name. A Push cluster of that name is refused: two parties would apply its Works.
    public func register() async throws(APIError) {
        let name = configuration.cluster
        if let problem = NameValidation.dns1123Label(name).first {
            throw APIError(.invalid, "cluster name \"\(name)\" is not valid: \(problem)")
        }
        for _ in 0..<5 {
            let stored: JSONValue
            do {
                stored = try await controlPlane.get(Cluster.descriptor, namespace: nil, name: name)
            } catch {
                guard error.reason == .notFound else { throw error }
                var spec = ClusterSpec(syncMode: "Pull", provider: configuration.provider, region: configuration.region)
                spec.zone = configuration.zone
                let cluster = Cluster(metadata: ObjectMeta(name: name, labels: configuration.labels.isEmpty ? nil : configuration.labels), spec: spec)
                do {
                    _ = try await controlPlane.create(Cluster.descriptor, cluster.json())
                    return
                } catch {
                    if error.reason == .alreadyExists { continue }
                    throw error
                }
            }
            guard let cluster = try? Cluster(json: stored) else { throw APIError(.internalError, "cluster \(name) cannot be read") }
            guard cluster.spec.syncMode == "Pull" else {
                throw APIError(.conflict, "cluster \(name) is joined in \(cluster.spec.syncMode) mode: unjoin it first (flotilla unjoin \(name))")
            }
            var updated = cluster
            updated.metadata.labels = (cluster.metadata.labels ?? [:]).merging(configuration.labels) { _, new in new }
            if updated.metadata.labels?.isEmpty == true { updated.metadata.labels = nil }
            updated.spec.provider = configuration.provider ?? cluster.spec.provider
            updated.spec.region = configuration.region ?? cluster.spec.region
            updated.spec.zone = configuration.zone ?? cluster.spec.zone
            guard updated != cluster else { return }
            do {
                _ = try await controlPlane.update(Cluster.descriptor, updated.json())
                return
            } catch {
                guard error.reason == .conflict else { throw error }
            }
        }
        throw APIError(.conflict, "cluster \(name) kept changing while it was registered; try again")
    }

    /// Renews the Lease, keeps the status and applies the Works until cancelled or shut down gracefully (the
    /// execution pass under way finishes).
    public func run() async {
        let name = configuration.cluster
        let informers = SharedInformers(client: controlPlane, scopes: [
            Work.descriptor.groupResource: .init(namespace: "karmada-es-\(name)"),
            Cluster.descriptor.groupResource: .init(options: ListQuery(fieldSelector: "metadata.name=\(name)")),
        ], logger: logger)
        let connections = ClusterConnections(controlPlane: controlPlane, member: member, cluster: name)
        let lease = AgentLease(cluster: name, controlPlane: controlPlane, interval: configuration.leaseInterval, clock: clock, logger: logger)
        let status = ClusterStatusController(controlPlane: controlPlane, connections: connections,
                                             configuration: configuration.clusterStatus, clock: clock, logger: logger)
        let execution = ExecutionController(client: controlPlane, connections: connections, clock: clock, logger: logger)
        let loop = await execution.loop(informers: informers)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await cancelWhenGracefulShutdown { await lease.run() } }
            group.addTask { await cancelWhenGracefulShutdown { await status.run() } }
            group.addTask { await loop.run() }
            await group.waitForAll()
        }
        await execution.stop()
        await informers.stop()
    }
}
