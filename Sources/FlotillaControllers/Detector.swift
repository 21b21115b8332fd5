import FlotillaAPI
import FlotillaScheduler
import KubeClient
import Logging

/// Karmada's resource detector: matches resource templates (Deployments, Services, ConfigMaps, Secrets) to
/// PropagationPolicies and ClusterPropagationPolicies with Karmada's precedence (`PolicySelection`), keeps one
/// ResourceBinding per claimed template (`<name>-<kind>`, owned by the template, carrying the resource reference,
/// replicas, per-replica requests and the placement), labels the template with the policy that claimed it, and
/// deletes the binding when no policy claims the template any more or the template is gone.
public struct Detector: Sendable {
    public static let templateKinds = [Deployment.descriptor, Service.descriptor, ConfigMap.descriptor, Secret.descriptor]
    public static let policyLabel = "propagationpolicy.karmada.io/name"
    public static let policyNamespaceLabel = "propagationpolicy.karmada.io/namespace"
    public static let clusterPolicyLabel = "clusterpropagationpolicy.karmada.io/name"

    let client: any ObjectClient
    let events: EventWriter
    let logger: Logger

    public init(client: any ObjectClient, clock: any TimeSource = SystemTimeSource(), logger: Logger = Logger(label: "flotilla.detector")) {
        self.client = client
        self.events = EventWriter(client: client, component: "resource-detector", clock: clock)
        self.logger = logger
    }

    public func loop() -> ControllerLoop {
        ControllerLoop(name: "detector", client: client,
            resources: Self.templateKinds + [PropagationPolicy.descriptor, ClusterPropagationPolicy.descriptor, ResourceBinding.descriptor],
            logger: logger) { snapshot in await self.reconcile(snapshot) }
    }

    /// Namespaces whose objects are Flotilla's own machinery, never templates.
    static func isSystemNamespace(_ namespace: String) -> Bool {
        ["karmada-system", "karmada-cluster", "kube-system", "kube-public", "kube-node-lease"].contains(namespace)
            || namespace.hasPrefix("karmada-es-")
    }

    static func bindingName(_ template: JSONValue) -> String { "\(template.name ?? "")-\((template.kind ?? "").lowercased())" }

    func reconcile(_ snapshot: ObjectSnapshot) async -> Duration? {
        let policies = snapshot.typed(PropagationPolicy.self).filter { $0.metadata.deletionTimestamp == nil }
        let clusterPolicies = snapshot.typed(ClusterPropagationPolicy.self).filter { $0.metadata.deletionTimestamp == nil }
        let existing = Dictionary(snapshot.objects(ResourceBinding.descriptor).map { ("\($0.namespace ?? "")/\($0.name ?? "")", $0) },
            uniquingKeysWith: { a, _ in a })
        var wanted = Set<String>()
        var failed = false
        for kind in Self.templateKinds {
            for template in snapshot.objects(kind) {
                guard let namespace = template.namespace, !Self.isSystemNamespace(namespace), template.deletionTimestamp == nil,
                    let claim = PolicySelection.select(template: template, policies: policies, clusterPolicies: clusterPolicies)
                else { continue }
                let key = "\(namespace)/\(Self.bindingName(template))"
                wanted.insert(key)
                do {
                    try await ensureBinding(for: template, claim: claim, existing: existing[key])
                    try await labelTemplate(template, kind: kind, claim: claim)
                } catch {
                    failed = true
                    logger.warning("cannot bind template", metadata: ["template": "\(key)", "error": "\(error)"])
                }
            }
        }
        for (key, binding) in existing where !wanted.contains(key) && isDetectorOwned(binding) {
            do {
                try await client.delete(ResourceBinding.descriptor, namespace: binding.namespace, name: binding.name ?? "")
            } catch {
                if error.reason != .notFound { failed = true }
            }
        }
        return failed ? .seconds(1) : nil
    }

    func isDetectorOwned(_ binding: JSONValue) -> Bool {
        binding.labels[Self.policyLabel] != nil || binding.labels[Self.clusterPolicyLabel] != nil
    }

    func desiredSpec(for template: JSONValue, claim: PolicySelection.Claim, current: ResourceBindingSpec?) -> ResourceBindingSpec {
        var spec = current ?? ResourceBindingSpec(resource: ObjectReference(apiVersion: nil, kind: nil, namespace: nil, name: nil, uid: nil))
        // No resourceVersion: the binding follows the template's spec, not every status write to it.
        spec.resource = ObjectReference(apiVersion: template.apiVersion, kind: template.kind, namespace: template.namespace,
            name: template.name, uid: template.uid)
        spec.placement = claim.spec.placement ?? Placement()
        spec.conflictResolution = claim.spec.conflictResolution
        spec.schedulerName = claim.spec.schedulerName
        spec.preserveResourcesOnDeletion = claim.spec.preserveResourcesOnDeletion
        if template.kind == "Deployment", let deployment = try? Deployment(json: template) {
            spec.replicas = deployment.spec.replicas ?? 1
            let requests = deployment.replicaRequests
            spec.replicaRequirements = requests.isEmpty ? nil : ReplicaRequirements(resourceRequest: requests)
        } else {
            spec.replicas = nil
            spec.replicaRequirements = nil
        }
        return spec
    }

    func ensureBinding(for template: JSONValue, claim: PolicySelection.Claim, existing: JSONValue?) async throws(APIError) {
        var labels = [claim.policyNamespace == nil ? Self.clusterPolicyLabel : Self.policyLabel: claim.policyName]
        if let namespace = claim.policyNamespace { labels[Self.policyNamespaceLabel] = namespace }
        if let existing, var binding = try? ResourceBinding(json: existing) {
            let spec = desiredSpec(for: template, claim: claim, current: binding.spec)
            let mergedLabels = (binding.metadata.labels ?? [:]).filter { ![Self.policyLabel, Self.policyNamespaceLabel, Self.clusterPolicyLabel].contains($0.key) }
                .merging(labels) { _, new in new }
            guard spec != binding.spec || mergedLabels != (binding.metadata.labels ?? [:]) else { return }
            binding.spec = spec
            binding.metadata.labels = mergedLabels
            _ = try await client.update(ResourceBinding.descriptor, binding.json())
            return
        }
        var binding = ResourceBinding(metadata: ObjectMeta(name: Self.bindingName(template), namespace: template.namespace, labels: labels),
            spec: desiredSpec(for: template, claim: claim, current: nil))
        if let uid = template.uid, let kind = template.kind, let apiVersion = template.apiVersion {
            binding.metadata.ownerReferences = [OwnerReference(apiVersion: apiVersion, kind: kind, name: template.name ?? "", uid: uid,
                controller: true, blockOwnerDeletion: true)]
        }
        do {
            _ = try await client.create(ResourceBinding.descriptor, binding.json())
            await events.record(template, reason: "ApplyPolicySucceed",
                message: "Apply policy(\(claim.policyNamespace.map { "\($0)/" } ?? "")\(claim.policyName)) succeed")
        } catch {
            if error.reason != .alreadyExists { throw error }
        }
    }

    func labelTemplate(_ template: JSONValue, kind: ResourceDescriptor, claim: PolicySelection.Claim) async throws(APIError) {
        let key = claim.policyNamespace == nil ? Self.clusterPolicyLabel : Self.policyLabel
        guard template.labels[key] != claim.policyName else { return }
        _ = try await client.mergePatch(kind, namespace: template.namespace, name: template.name ?? "",
            ["metadata": ["labels": .object([key: .string(claim.policyName)])]])
    }
}
