import FlotillaAPI

/// What one scheduling attempt is about: the binding's request and its previous result. Pure data: the same
/// context and clusters always give the same answer.
public struct SchedulingContext: Sendable {
    public var bindingUID: String
    public var resource: ObjectReference
    public var replicas: Int
    public var replicaRequest: [String: Quantity]
    public var placement: Placement
    /// The previous `spec.clusters`.
    public var previous: [TargetCluster]
    /// A user-triggered reschedule (`rescheduleTriggeredAt` after `lastScheduledTime`): divide from scratch.
    public var fresh: Bool
    /// The affinity group the previous result came from (`status.schedulerObservingAffinityName`).
    public var observedAffinityName: String?
    /// The AppProfile's latency needs and the network's latency matrix, when a profile selects the workload.
    public var latency: LatencyRequirement?
    /// Clusters the binding is being evicted from (`gracefulEvictionTasks`): never candidates.
    public var evicting: Set<String>

    public init(bindingUID: String, resource: ObjectReference, replicas: Int, replicaRequest: [String: Quantity] = [:],
                placement: Placement, previous: [TargetCluster] = [], fresh: Bool = false, observedAffinityName: String? = nil,
                latency: LatencyRequirement? = nil, evicting: Set<String> = []) {
        self.evicting = evicting
        self.observedAffinityName = observedAffinityName
        self.latency = latency
        self.bindingUID = bindingUID
        self.resource = resource
        self.replicas = replicas
        self.replicaRequest = replicaRequest
        self.placement = placement
        self.previous = previous
        self.fresh = fresh
    }

    /// From a ResourceBinding as the scheduler reads it.
    public init(binding: ResourceBinding, latency: LatencyRequirement? = nil) {
        let triggered = binding.spec.rescheduleTriggeredAt
        let last = binding.status?.lastScheduledTime
        self.init(bindingUID: binding.metadata.uid ?? "", resource: binding.spec.resource, replicas: Int(binding.spec.replicas ?? 0),
            replicaRequest: binding.spec.replicaRequirements?.resourceRequest ?? [:], placement: binding.spec.placement ?? Placement(),
            previous: binding.spec.clusters ?? [], fresh: Self.isFresh(rescheduleTriggeredAt: triggered, lastScheduledTime: last),
            observedAffinityName: binding.status?.schedulerObservingAffinityName, latency: latency,
            evicting: binding.spec.evictingClusters)
    }

    /// Karmada's Fresh mode: a reschedule was triggered after the last schedule (or before any).
    public static func isFresh(rescheduleTriggeredAt triggered: Timestamp?, lastScheduledTime last: Timestamp?) -> Bool {
        guard let triggered else { return false }
        guard let last else { return true }
        return triggered > last
    }

    /// The placement's affinity, compiled once per decision (set by the scheduler before filtering).
    var affinityMatcher: CompiledAffinity?

    /// The affinity the ClusterAffinity filter applies: the placement's, or the first group's.
    var placementAffinity: ClusterAffinity? { placement.clusterAffinity ?? placement.clusterAffinities?.first?.affinity }

    func wasScheduled(on cluster: ClusterView) -> Bool {
        previous.contains { $0.name == cluster.name }
    }
}
