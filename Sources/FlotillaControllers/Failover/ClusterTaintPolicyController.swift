import FlotillaAPI
import FlotillaRuntime
import KubeClient
import Logging

/// Keeps every Cluster's taints in step with the ClusterTaintPolicies as its conditions change (the pure rule is
/// `ClusterTaintRules`). Runs beside the cluster-status controller, which writes the conditions; this one writes
/// only `spec.taints`, so the two never contend for a field.
public struct ClusterTaintPolicyController: Sendable {
    let client: any ObjectClient
    let clock: any TimeSource
    let events: EventWriter
    let logger: Logger

    public init(client: any ObjectClient, clock: any TimeSource = SystemTimeSource(), logger: Logger = Logger(label: "flotilla.cluster-taint-policy")) {
        self.client = client
        self.clock = clock
        self.events = EventWriter(client: client, component: "cluster-taint-policy-controller", clock: clock)
        self.logger = logger
    }

    public func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        ControllerLoop(name: "cluster-taint-policy", client: client, informers: informers, resources: [Cluster.descriptor, ClusterTaintPolicy.descriptor],
                       clock: runtimeClock(clock), logger: logger) { snapshot, changes in
            await self.reconcile(snapshot, changes)
        }
    }

    func reconcile(_ snapshot: ObjectSnapshot, _ changes: Changes) async -> Duration? {
        let policies = snapshot.typed(ClusterTaintPolicy.self)
        let everything = changes.full || changes.touched(ClusterTaintPolicy.descriptor)
        let now = Timestamp(clock.now())
        var retry: Duration?
        // Only the clusters that changed, unless everything must be looked at: with a thousand clusters reporting
        // status, decoding them all for each report cost more than the rules.
        let clusters = everything ? snapshot.typed(Cluster.self)
            : changes.keys(Cluster.descriptor).union(changes.statusOnlyKeys(Cluster.descriptor)).sorted()
                .compactMap { snapshot.object(Cluster.descriptor, key: $0).flatMap { try? Cluster(json: $0) } }
        for cluster in clusters {
            guard cluster.metadata.deletionTimestamp == nil,
                  let taints = ClusterTaintRules.taints(for: cluster, policies: policies, now: now) else { continue }
            var updated = cluster
            updated.spec.taints = taints.isEmpty ? nil : taints
            do {
                _ = try await client.update(Cluster.descriptor, updated.json())
                let before = Set((cluster.spec.taints ?? []).map(Self.describe)), after = Set(taints.map(Self.describe))
                let message = [after.subtracting(before).sorted().map { "added \($0)" }, before.subtracting(after).sorted().map { "removed \($0)" }]
                    .joined().joined(separator: ", ")
                events.record(cluster, type: "Normal", reason: "TaintClusterByPolicy", message: message)
            } catch {
                retry = ControllerLoop.retryDelay(for: error, current: retry)
            }
        }
        return retry
    }

    static func describe(_ taint: Taint) -> String { "\(taint.key)\(taint.value.map { "=\($0)" } ?? ""):\(taint.effect)" }
}
