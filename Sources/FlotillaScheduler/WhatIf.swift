import FlotillaAPI

/// `flotilla schedule --dry-run`: schedules workloads against clusters and policies (and AppProfiles with latency
/// matrices) given as documents, with the same `Scheduler` the running control plane uses and no server.
public enum WhatIf {
    public struct Result: Sendable {
        /// One ResourceBinding per workload that a policy claims, `spec.clusters` sorted by name (zero replicas omitted).
        public var bindings: [JSONValue]
        /// Workloads that could not be scheduled, with the reason.
        public var failures: [(workload: String, reason: String)]
    }

    public struct InputError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func run(documents: [JSONValue], scheduler: Scheduler = Scheduler()) throws -> Result {
        var clusters: [Cluster] = []
        var policies: [PropagationPolicy] = []
        var clusterPolicies: [ClusterPropagationPolicy] = []
        var workloads: [JSONValue] = []
        var previous: [String: ResourceBinding] = [:]
        var profiles: [AppProfile] = []
        var matrices: [LatencyMatrix] = []
        for document in documents {
            let label = "\(document.kind ?? "?")/\(document.name ?? "?")"
            do {
                switch (document.apiVersion, document.kind) {
                case ("cluster.karmada.io/v1alpha1", "Cluster"): clusters.append(try Cluster(json: document))
                case ("policy.karmada.io/v1alpha1", "PropagationPolicy"):
                    var policy = try PropagationPolicy(json: document)
                    if policy.metadata.namespace == nil { policy.metadata.namespace = "default" }
                    policies.append(policy)
                case ("policy.karmada.io/v1alpha1", "ClusterPropagationPolicy"): clusterPolicies.append(try ClusterPropagationPolicy(json: document))
                case ("mec.flotilla.io/v1alpha1", "AppProfile"):
                    var profile = try AppProfile(json: document)
                    if profile.metadata.namespace == nil { profile.metadata.namespace = "default" }
                    profiles.append(profile)
                case ("mec.flotilla.io/v1alpha1", "LatencyMatrix"): matrices.append(try LatencyMatrix(json: document))
                case ("work.karmada.io/v1alpha2", "ResourceBinding"):
                    let binding = try ResourceBinding(json: document)
                    previous[binding.metadata.name ?? ""] = binding
                default:
                    var workload = document
                    if workload.namespace == nil { workload.setMetadata("namespace", "default") }
                    workloads.append(workload)
                }
            } catch {
                throw InputError(description: "\(label): \(error)")
            }
        }
        var bindings: [JSONValue] = []
        var failures: [(String, String)] = []
        let snapshot = ClusterSnapshot(clusters)
        for workload in workloads {
            let label = "\(workload.kind ?? "?")/\(workload.namespace ?? "")/\(workload.name ?? "")"
            guard let claim = PolicySelection.select(template: workload, policies: policies, clusterPolicies: clusterPolicies) else {
                failures.append((label, "no PropagationPolicy or ClusterPropagationPolicy selects it"))
                continue
            }
            let name = ResourceBinding.name(forTemplate: workload.name ?? "", kind: workload.kind ?? "")
            var binding = previous[name] ?? ResourceBinding(metadata: ObjectMeta(name: name, namespace: workload.namespace),
                spec: ResourceBindingSpec(resource: ObjectReference(apiVersion: workload.apiVersion, kind: workload.kind,
                    namespace: workload.namespace, name: workload.name, uid: workload.uid)))
            binding.spec.placement = claim.spec.placement ?? Placement()
            binding.spec.replicas = Int32(clamping: workload["spec"]?["replicas"]?.int64Value ?? 0)
            if workload.kind == "Deployment", let deployment = try? Deployment(json: workload) {
                binding.spec.replicas = deployment.spec.replicas ?? 1
                binding.spec.replicaRequirements = ReplicaRequirements(resourceRequest: deployment.replicaRequests)
            }
            binding.metadata.labels = (binding.metadata.labels ?? [:]).merging(
                ["propagationpolicy.karmada.io/name": claim.policyName]) { _, new in new }
            let profile = LatencyRequirement.profile(for: binding.spec.resource, labels: workload.labels, in: profiles)
            let latency = profile.map { LatencyRequirement(profile: $0, matrices: matrices) }
            let decision = scheduler.decide(SchedulingContext(binding: binding, latency: latency), snapshot: snapshot)
            switch decision.outcome {
            case .scheduled(let targets):
                binding.spec.clusters = targets.filter { ($0.replicas ?? 0) > 0 || binding.spec.replicas == 0 }.sorted { $0.name < $1.name }
                if let group = decision.affinityName {
                    var status = binding.status ?? ResourceBindingStatus()
                    status.schedulerObservingAffinityName = group
                    binding.status = status
                }
                bindings.append(binding.json())
            case .unschedulable(let reason):
                failures.append((label, reason))
            }
        }
        return Result(bindings: bindings, failures: failures)
    }
}
