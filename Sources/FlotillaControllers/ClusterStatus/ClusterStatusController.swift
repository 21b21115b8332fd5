import FlotillaAPI
import FlotillaRuntime
import Foundation
import KubeClient
import Logging

/// How the cluster-status controller watches members.
public struct ClusterStatusConfiguration: Sendable {
    /// How often each member is probed and its status written (when it changed).
    public var interval: Duration
    /// How long a member must keep failing before it is marked NotReady: a flaky edge link must not flap.
    public var failureThreshold: Duration
    /// A probe that takes longer counts as a failure.
    public var probeTimeout: Duration
    /// How often discovery (API enablements) and the version are refreshed while the member is healthy.
    public var discoveryInterval: Duration
    /// How long a NotReady member must keep answering before it is Ready again (Karmada's
    /// `--cluster-success-threshold`): a flapping link stays NotReady instead of bouncing workloads back and forth.
    public var successThreshold: Duration
    /// How long a Pull cluster's agent may leave its Lease unrenewed before the cluster is Ready=Unknown (Karmada's
    /// `--cluster-monitor-grace-period`).
    public var agentGracePeriod: Duration

    public init(interval: Duration = .seconds(10), failureThreshold: Duration = .seconds(30), probeTimeout: Duration = .seconds(3),
                discoveryInterval: Duration = .seconds(60), successThreshold: Duration = .seconds(30), agentGracePeriod: Duration = .seconds(40)) {
        self.interval = interval
        self.agentGracePeriod = agentGracePeriod
        self.successThreshold = successThreshold
        self.failureThreshold = failureThreshold
        self.probeTimeout = probeTimeout
        self.discoveryInterval = discoveryInterval
    }
}

/// Keeps each Cluster's status current: health from `/readyz`, Kubernetes version, API enablements from discovery,
/// node and resource summaries from watches of the member's nodes and pods (work proportional to change, not a
/// relist per tick), the Ready condition with a grace period before NotReady, and Karmada's
/// `cluster.karmada.io/not-ready:NoSchedule` taint while NotReady.
///
/// It runs where the member is reached (`ClusterConnections.serves`): on the control plane for Push clusters, in a
/// Pull cluster's agent for that cluster. For a Pull cluster the control plane only watches the agent's Lease
/// (`AgentLeaseWatch`): silent for the grace period, the cluster is Ready=Unknown, tainted
/// `cluster.karmada.io/unreachable:NoSchedule`.
public actor ClusterStatusController {
    public static let notReadyTaint = ClusterStatusPlan.notReadyTaint

    let controlPlane: any ObjectClient
    let connections: ClusterConnections
    let configuration: ClusterStatusConfiguration
    let clock: any TimeSource
    let logger: Logger
    /// One writer for every member's events, so its in-flight limit holds for the controller.
    let events: EventWriter
    private var monitors: [String: ClusterMonitor] = [:]
    /// Pull clusters' agents, judged by their Leases (on the control plane).
    private var agents: [String: AgentLeaseWatch] = [:]
    /// What rounds wait on and agents' silences are timed on (one clock for the controller's life).
    let ticks: any RuntimeClock
    let metrics: SyncMetrics

    public init(controlPlane: any ObjectClient, connections: ClusterConnections, configuration: ClusterStatusConfiguration = .init(),
                clock: any TimeSource = SystemTimeSource(), metrics: SyncMetrics = .none, logger: Logger = Logger(label: "flotilla.cluster-status")) {
        self.controlPlane = controlPlane
        self.metrics = metrics
        self.connections = connections
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.events = EventWriter(client: controlPlane, component: "cluster-status-controller", clock: clock)
        self.ticks = runtimeClock(clock)
    }

    /// Probes every member each interval (of the injected clock, when it is a `RuntimeClock`) until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await tick()
            try? await ticks.sleep(for: configuration.interval)
        }
        for monitor in monitors.values { await monitor.stop() }
    }

    /// One round over every cluster, concurrently; a slow member costs at most the probe timeout.
    public func tick() async {
        let clusters: [Cluster]
        do {
            clusters = try await controlPlane.list(Cluster.descriptor, namespace: nil, options: connections.clusterQuery).items
                .compactMap { try? Cluster(json: $0) }
        } catch {
            logger.warning("cannot list clusters", metadata: ["error": "\(error)"])
            return
        }
        let served = clusters.filter(connections.serves)
        let names = Set(served.compactMap(\.metadata.name))
        for (name, monitor) in monitors where !names.contains(name) {
            await monitor.stop()
            monitors[name] = nil
            await connections.remove(name)
        }
        for cluster in served {
            guard let name = cluster.metadata.name, monitors[name] == nil else { continue }
            monitors[name] = ClusterMonitor(name: name, controlPlane: controlPlane, connections: connections,
                configuration: configuration, clock: clock, events: events, logger: logger)
        }
        let monitors = self.monitors
        await withTaskGroup(of: Void.self) { group in
            for cluster in served {
                guard let monitor = monitors[cluster.metadata.name ?? ""] else { continue }
                group.addTask { await monitor.tick(cluster) }
            }
        }
        if connections.scope == .push { await watchAgents(clusters.filter { $0.spec.syncMode == "Pull" }) }
        metrics.clustersObserved(served.count + agents.values.filter(\.sawLease).count)
    }

    /// Marks Pull clusters whose agents went silent Ready=Unknown (one list of the agents' Leases per round).
    func watchAgents(_ clusters: [Cluster]) async {
        let names = Set(clusters.compactMap(\.metadata.name))
        agents = agents.filter { names.contains($0.key) }
        guard !clusters.isEmpty else { return }
        let leases: [String: String]
        do {
            leases = Dictionary(try await controlPlane.list(Lease.descriptor, namespace: AgentLeaseWatch.namespace, options: .everything).items
                .map { ($0.name ?? "", $0.resourceVersion ?? "") }, uniquingKeysWith: { a, _ in a })
        } catch {
            logger.warning("cannot list the agents' leases", metadata: ["error": "\(error)"])
            return
        }
        let now = ticks.elapsed
        for cluster in clusters {
            let name = cluster.metadata.name ?? ""
            var watch = agents[name] ?? AgentLeaseWatch(grace: configuration.agentGracePeriod)
            let conditions = watch.observe(leaseVersion: leases[name], at: now, conditions: cluster.status?.conditions ?? [],
                                           timestamp: Timestamp(clock.now()))
            agents[name] = watch
            guard let conditions else { continue }
            var status = cluster.status ?? ClusterStatus()
            status.conditions = conditions
            await ClusterMonitor.execute(ClusterStatusPlan.plan(cluster, status: status), on: cluster, controlPlane: controlPlane,
                                         events: events, clock: clock, logger: logger)
        }
    }
}

/// One member: the I/O around the pure parts — it probes the member (`/readyz`, discovery), keeps its node and pod
/// watches, asks `ClusterReadiness` for the Ready condition and `ClusterStatusPlan` what to write, and writes it.
actor ClusterMonitor {
    let name: String
    let controlPlane: any ObjectClient
    let connections: ClusterConnections
    let configuration: ClusterStatusConfiguration
    let clock: any TimeSource
    let events: EventWriter
    let logger: Logger
    /// What the readiness thresholds are timed on.
    let elapsed: any RuntimeClock
    private var readiness: ClusterReadiness
    private var lastDiscovery: ContinuousClock.Instant?
    private var version: String?
    private var enablements: [APIEnablement]?
    private var watchedClient: ObjectIdentifier?
    private var watches: [Task<Void, Never>] = []
    private var nodes = WatchedSet()
    /// What each of the member's pods counts for, by namespace/name (`nil` until the pod watch has listed).
    private var pods: [String: ResourceAccounting.PodShare]?

    init(name: String, controlPlane: any ObjectClient, connections: ClusterConnections, configuration: ClusterStatusConfiguration,
         clock: any TimeSource, events: EventWriter, logger: Logger) {
        self.name = name
        self.events = events
        self.controlPlane = controlPlane
        self.connections = connections
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.readiness = ClusterReadiness(failureThreshold: configuration.failureThreshold, successThreshold: configuration.successThreshold)
        self.elapsed = runtimeClock(clock)
    }

    func stop() {
        for task in watches { task.cancel() }
        watches = []
    }

    func tick(_ cluster: Cluster) async {
        let health = await probe(cluster)
        var status = cluster.status ?? ClusterStatus()
        let timestamp = Timestamp(clock.now())
        let outcome: ClusterReadiness.Outcome
        switch health {
        case .success: outcome = .success
        case .failure(let error): outcome = .failure(error.message)
        }
        status.conditions = readiness.observe(outcome, at: elapsed.elapsed, conditions: status.conditions ?? [], timestamp: timestamp)
        if case .success = health {
            status.kubernetesVersion = version ?? status.kubernetesVersion
            status.apiEnablements = enablements ?? status.apiEnablements
            if nodes.synced, let pods {
                let (nodeSummary, resourceSummary) = ResourceAccounting.summary(nodes: nodes.objects, pods: pods.values)
                status.nodeSummary = nodeSummary
                status.resourceSummary = resourceSummary
            }
        }
        await execute(ClusterStatusPlan.plan(cluster, status: status), on: cluster)
    }

    /// Health from `/readyz` (falling back to `/healthz`), one attempt within the probe timeout; on success also
    /// makes sure the node and pod watches run and refreshes discovery when due.
    func probe(_ cluster: Cluster) async -> Result<Void, APIError> {
        let client: KubeClient
        do {
            client = try await connections.client(for: cluster)
            var answer: String
            do {
                answer = try await client.raw("/readyz", timeout: configuration.probeTimeout, retries: 0)
            } catch {
                guard error.reason == .notFound else { throw error }
                answer = try await client.raw("/healthz", timeout: configuration.probeTimeout, retries: 0)
            }
            guard answer.trimmingCharacters(in: .whitespacesAndNewlines) == "ok" else {
                throw APIError(.serviceUnavailable, "readyz answered \(answer.prefix(100))")
            }
        } catch {
            return .failure(error as? APIError ?? APIError(.unreachable, "\(error)"))
        }
        ensureWatches(client)
        if lastDiscovery.map({ ContinuousClock.now - $0 >= configuration.discoveryInterval }) ?? true {
            await discover(client)
        }
        return .success(())
    }

    func ensureWatches(_ client: KubeClient) {
        let identity = ObjectIdentifier(client)
        guard watchedClient != identity else { return }
        stop()
        watchedClient = identity
        nodes = WatchedSet()
        pods = nil
        for resource in [Node.descriptor, Pod.descriptor] {
            var informer = Informer(client: client, resource: resource, logger: logger)
            informer.maxBackoff = configuration.interval
            let isNodes = resource.plural == "nodes"
            watches.append(Task { [weak self] in
                await informer.run { [weak self] event in await self?.apply(event, nodes: isNodes) }
            })
        }
        // A CRD that comes or goes changes what the member serves: discovery runs again at the next probe, so the
        // scheduler's API enablement sees a propagated CRD's kind without waiting for the discovery interval.
        var definitions = Informer(client: client, resource: CustomResourceDefinition.descriptor, logger: logger)
        definitions.maxBackoff = configuration.discoveryInterval
        watches.append(Task { [weak self] in
            await definitions.run { [weak self] _ in await self?.rediscover() }
        })
    }

    func rediscover() { lastDiscovery = nil }

    /// A pod's share is worked out once per event (its spec decoded then), not on every status tick.
    func apply(_ event: InformerEvent, nodes isNodes: Bool) {
        if isNodes { return nodes.apply(event) }
        switch event {
        case .synced(let items):
            pods = Dictionary(items.map { (WatchedSet.key($0), ResourceAccounting.PodShare($0)) }, uniquingKeysWith: { _, last in last })
        case .added(let pod), .modified(let pod): pods?[WatchedSet.key(pod)] = ResourceAccounting.PodShare(pod)
        case .deleted(let pod): pods?[WatchedSet.key(pod)] = nil
        }
    }

    func discover(_ client: KubeClient) async {
        do {
            let versionText = try await client.raw("/version", retries: 0)
            version = (try? JSONValue.parse(Array(versionText.utf8)))?["gitVersion"]?.stringValue
            var result: [APIEnablement] = []
            let core = try JSONValue.parse(Array(try await client.raw("/api/v1", retries: 0).utf8))
            result.append(Self.enablement("v1", core))
            let groups = try JSONValue.parse(Array(try await client.raw("/apis", retries: 0).utf8))
            for group in groups["groups"]?.arrayValue ?? [] {
                for version in group["versions"]?.arrayValue ?? [] {
                    guard let groupVersion = version["groupVersion"]?.stringValue else { continue }
                    let list = try JSONValue.parse(Array(try await client.raw("/apis/\(groupVersion)", retries: 0).utf8))
                    result.append(Self.enablement(groupVersion, list))
                }
            }
            enablements = result.sorted { $0.groupVersion < $1.groupVersion }
            lastDiscovery = ContinuousClock.now
        } catch {
            logger.debug("discovery failed", metadata: ["cluster": "\(name)", "error": "\(error)"])
        }
    }

    static func enablement(_ groupVersion: String, _ list: JSONValue) -> APIEnablement {
        let resources = (list["resources"]?.arrayValue ?? []).compactMap { resource -> APIResource? in
            guard let name = resource["name"]?.stringValue, !name.contains("/"), let kind = resource["kind"]?.stringValue else { return nil }
            return APIResource(name: name, kind: kind)
        }.sorted { $0.name < $1.name }
        return APIEnablement(groupVersion: groupVersion, resources: resources)
    }

    func execute(_ plan: ClusterStatusPlan, on cluster: Cluster) async {
        await Self.execute(plan, on: cluster, controlPlane: controlPlane, events: events, clock: clock, logger: logger)
    }

    /// Carries a plan out: the event, the status, then the taints on the Cluster the status write returned.
    static func execute(_ plan: ClusterStatusPlan, on cluster: Cluster, controlPlane: any ObjectClient, events: EventWriter,
                        clock: any TimeSource, logger: Logger) async {
        let name = cluster.metadata.name ?? ""
        var updated = cluster
        if let status = plan.status {
            if let event = plan.event {
                // Cluster events go to the default namespace, as Karmada's do for cluster-scoped objects.
                events.record(cluster, type: event.type, reason: event.reason, message: event.message)
            }
            updated.status = status
            do {
                let written = try await controlPlane.updateStatus(Cluster.descriptor, updated.json())
                updated = (try? Cluster(json: written)) ?? updated
            } catch {
                logger.debug("cluster status write lost a race", metadata: ["cluster": "\(name)", "error": "\(error)"])
                return
            }
        }
        guard case .some(let taints) = ClusterStatusPlan.taints(updated.spec.taints ?? [], wanted: plan.taint, now: Timestamp(clock.now()))
        else { return }
        updated.spec.taints = taints
        do {
            _ = try await controlPlane.update(Cluster.descriptor, updated.json())
        } catch {
            logger.debug("cluster taint write lost a race", metadata: ["cluster": "\(name)", "error": "\(error)"])
        }
    }
}
