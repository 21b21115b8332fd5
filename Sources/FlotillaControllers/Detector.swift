import FlotillaAPI
import FlotillaInterpreter
import FlotillaRuntime
import FlotillaScheduler
import KubeClient
import Logging

/// Karmada's resource detector: matches resource templates (Deployments, Services, ConfigMaps, Secrets) to
/// PropagationPolicies and ClusterPropagationPolicies with Karmada's precedence (`PolicySelection`), keeps one
/// ResourceBinding per claimed template (`<name>-<kind>`, owned by the template, carrying the resource reference,
/// replicas, per-replica requests and the placement), labels the template with the policy that claimed it, and
/// deletes the binding when no policy claims the template any more or the template is gone.
public struct Detector: Sendable {
    public static let templateKinds = ResourceRegistry.templateKinds
    /// Cluster-scoped templates (Namespaces): claimed by ClusterPropagationPolicies only, bound by
    /// ClusterResourceBindings named `<name>-<kind>`.
    public static let clusterTemplateKinds = ResourceRegistry.clusterTemplateKinds
    public static let allTemplateKinds = templateKinds + clusterTemplateKinds
    /// The template generation a binding was last written for (what `activationPreference: Lazy` waits on).
    public static let templateGenerationAnnotation = "policy.flotilla.io/template-generation"
    public static let policyLabel = "propagationpolicy.karmada.io/name"
    public static let policyNamespaceLabel = "propagationpolicy.karmada.io/namespace"
    public static let clusterPolicyLabel = "clusterpropagationpolicy.karmada.io/name"
    /// Templates bound at once within a pass (the scheduling loop's figure; each waits for its writes' commits).
    static let concurrency = 64

    let client: any ObjectClient
    let clock: any TimeSource
    let events: EventWriter
    let logger: Logger
    /// Policies already reported as matching nothing (one event per policy version).
    let unmatched = ReportedSet()
    let interpreters = InterpreterCache()

    public init(client: any ObjectClient, clock: any TimeSource = SystemTimeSource(), logger: Logger = Logger(label: "flotilla.detector")) {
        self.client = client
        self.clock = clock
        self.events = EventWriter(client: client, component: "resource-detector", clock: clock)
        self.logger = logger
    }

    public func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        ControllerLoop(name: "detector", client: client, informers: informers,
            resources: Self.allTemplateKinds + [PropagationPolicy.descriptor, ClusterPropagationPolicy.descriptor, ResourceBinding.descriptor,
                                             ClusterResourceBinding.descriptor,
                                             OverridePolicy.descriptor, ClusterOverridePolicy.descriptor, PriorityClass.descriptor,
                                             ResourceInterpreterCustomization.descriptor, CustomResourceDefinition.descriptor],
            statusBlind: Self.allTemplateKinds + [ResourceBinding.descriptor, ClusterResourceBinding.descriptor, OverridePolicy.descriptor,
                                                  ClusterOverridePolicy.descriptor, CustomResourceDefinition.descriptor],
            declared: TemplateKinds.declared, declaredStatusBlind: true,
            clock: runtimeClock(clock), logger: logger) { snapshot, changes in
                await self.reconcile(snapshot, changes)
            }
    }

    /// Namespaces whose objects are Flotilla's own machinery, never templates.
    static func isSystemNamespace(_ namespace: String) -> Bool {
        ["karmada-system", "karmada-cluster", "kube-system", "kube-public", "kube-node-lease"].contains(namespace)
            || namespace.hasPrefix("karmada-es-")
    }

    static func bindingName(_ template: JSONValue) -> String { ResourceBinding.name(forTemplate: template.name ?? "", kind: template.kind ?? "") }

    /// A full pass (or any policy change) looks at every template; otherwise only the templates that changed and
    /// those whose binding changed (say, someone deleted it).
    func reconcile(_ snapshot: ObjectSnapshot, _ changes: Changes) async -> Duration? {
        let policies = snapshot.typed(PropagationPolicy.self).filter { $0.metadata.deletionTimestamp == nil }
        let clusterPolicies = snapshot.typed(ClusterPropagationPolicy.self).filter { $0.metadata.deletionTimestamp == nil }
        // A policy waiting for its dependentOverrides takes effect when they arrive: override changes count then.
        let waiting = policies.contains { !($0.spec.dependentOverrides ?? []).isEmpty }
            || clusterPolicies.contains { !($0.spec.dependentOverrides ?? []).isEmpty }
        let prioritized = policies.contains { $0.spec.schedulePriority != nil } || clusterPolicies.contains { $0.spec.schedulePriority != nil }
        let everything = changes.full || changes.touched(PropagationPolicy.descriptor) || changes.touched(ClusterPropagationPolicy.descriptor)
            || (waiting && (changes.touched(OverridePolicy.descriptor) || changes.touched(ClusterOverridePolicy.descriptor)))
            || (prioritized && changes.touched(PriorityClass.descriptor))
            || changes.touched(ResourceInterpreterCustomization.descriptor)
        let interpreter = interpreters.interpreter(snapshot)
        let kinds = TemplateKinds(snapshot)
        // (kind, template key) pairs to look at.
        var candidates: [(ResourceDescriptor, String)] = []
        if everything || changes.touched(CustomResourceDefinition.descriptor) {
            for kind in kinds.all { candidates += snapshot.objects(kind).map { (kind, WatchedSet.key($0)) } }
            for bindingKind in ResourceBinding.kinds {
                for binding in snapshot.objects(bindingKind) where isDetectorOwned(binding) {
                    if let pair = kinds.template(ofBinding: binding, key: WatchedSet.key(binding)) { candidates.append(pair) }
                }
            }
        } else {
            for kind in kinds.all { candidates += changes.keys(kind).map { (kind, $0) } }
            for bindingKind in ResourceBinding.kinds {
                candidates += changes.keys(bindingKind).compactMap { kinds.template(ofBinding: snapshot.object(bindingKind, key: $0), key: $0) }
            }
        }
        // A custom kind that has not listed yet says nothing about its templates: their bindings wait for it.
        candidates = candidates.filter { kind, _ in snapshot.isSynced(kind) }
        // Each template is bound on its own, several at once: one after another, a pass over thousands of new
        // templates ran at one client's round trips (the scheduling loop's rate for them, too).
        var seen = Set<String>()
        let unique = candidates.filter { kind, key in seen.insert("\(kind.plural)|\(key)").inserted }
        let outcomes = await concurrently(unique, limit: Self.concurrency) { (kind: ResourceDescriptor, key: String) -> (claim: String?, retry: Duration?) in
            let namespace = String(key.prefix { $0 != "/" })
            let name = String(key.drop { $0 != "/" }.dropFirst())
            let bindingKey = "\(namespace)/\(ResourceBinding.name(forTemplate: name, kind: kind.kind))"
            let bindingKind = kind.namespaced ? ResourceBinding.descriptor : ClusterResourceBinding.descriptor
            let existing = snapshot.object(bindingKind, key: bindingKey)
            let template = snapshot.object(kind, key: key)
            let claim = template.flatMap { template -> PolicySelection.Claim? in
                // Flotilla's own namespaces are never templates, nor what is in them.
                let scope = kind.namespaced ? namespace : (kind.kind == Namespace.descriptor.kind ? name : "")
                guard !Self.isSystemNamespace(scope), template.deletionTimestamp == nil else { return nil }
                return PolicySelection.select(template: template, policies: policies, clusterPolicies: clusterPolicies)
            }
            let claimed = claim.map { "\($0.policyNamespace ?? "")/\($0.policyName)" }
            if let claim, let missing = Self.missingOverrides(claim, namespace: namespace, snapshot: snapshot) {
                // Karmada's dependentOverrides: the policy takes effect only once the named overrides exist.
                await reportWaiting(claim, missing: missing)
                return (claimed, nil)
            }
            do throws(APIError) {
                if let template, let claim {
                    // A script that fails waits for its template or customization to change (either brings it back).
                    guard case .success(let replicas) = await replicas(of: template, interpreter) else { return (claimed, nil) }
                    try await ensureBinding(for: template, claim: claim, existing: existing,
                        priority: await priority(of: claim, snapshot: snapshot), replicas: replicas)
                    try await labelTemplate(template, kind: kind, claim: claim)
                } else if let existing, isDetectorOwned(existing) {
                    try await client.delete(bindingKind, namespace: existing.namespace, name: existing.name ?? "")
                }
            } catch {
                if error.reason == .notFound { return (claimed, nil) }
                if error.reason != .conflict {
                    logger.warning("cannot bind template", metadata: ["template": "\(key)", "error": "\(error)"])
                }
                return (claimed, ControllerLoop.retryDelay(for: error, current: nil))
            }
            return (claimed, nil)
        }
        let claimedBy = Set(outcomes.compactMap { $0.claim })
        let retry = outcomes.compactMap { $0.retry }.min()
        if everything { await reportUnmatched(policies.map { $0.json() } + clusterPolicies.map { $0.json() }, claimed: claimedBy) }
        return retry
    }

    /// A policy that selects no template gets one Warning event per version of it, so a typo shows up in
    /// `kubectl describe` instead of silently doing nothing.
    func reportUnmatched(_ policies: [JSONValue], claimed: Set<String>) async {
        for policy in policies {
            let key = "\(policy.namespace ?? "")/\(policy.name ?? "")"
            guard !claimed.contains(key), await unmatched.insert("\(key)@\(policy.generation ?? 0)") else { continue }
            events.record(policy, type: "Warning", reason: "NoResourceMatched",
                message: "The policy's resourceSelectors match no resource template (yet)")
        }
    }

    /// The `dependentOverrides` of the claiming policy that do not exist yet (OverridePolicies in the template's
    /// namespace for a PropagationPolicy, ClusterOverridePolicies for a ClusterPropagationPolicy); nil when none is missing.
    static func missingOverrides(_ claim: PolicySelection.Claim, namespace: String, snapshot: ObjectSnapshot) -> [String]? {
        let wanted = claim.spec.dependentOverrides ?? []
        guard !wanted.isEmpty else { return nil }
        let missing = wanted.filter { name in
            claim.policyNamespace == nil
                ? snapshot.object(ClusterOverridePolicy.descriptor, key: "/\(name)") == nil
                : snapshot.object(OverridePolicy.descriptor, key: "\(namespace)/\(name)") == nil
        }
        return missing.isEmpty ? nil : missing.sorted()
    }

    /// One Warning event on the policy per set of missing overrides.
    func reportWaiting(_ claim: PolicySelection.Claim, missing: [String]) async {
        let key = "\(claim.policyNamespace ?? "")/\(claim.policyName)"
        guard await unmatched.insert("\(key)@waiting:\(missing.joined(separator: ","))") else { return }
        let descriptor = claim.policyNamespace == nil ? ClusterPropagationPolicy.descriptor : PropagationPolicy.descriptor
        let reference = ObjectReference(apiVersion: descriptor.apiVersion, kind: descriptor.kind, namespace: claim.policyNamespace,
            name: claim.policyName, uid: nil)
        events.record(reference, type: "Warning", reason: "DependentOverridesMissing",
            message: "The policy takes effect once these overrides exist: \(missing.joined(separator: ", "))")
    }

    func isDetectorOwned(_ binding: JSONValue) -> Bool {
        binding.labels[Self.policyLabel] != nil || binding.labels[Self.clusterPolicyLabel] != nil
    }

    /// The template's replicas and per-replica requests from the resource interpreter (a customization's
    /// `GetReplicas`, else the built-in); a script that fails is a Warning event on the template (once per template
    /// generation and message).
    func replicas(of template: JSONValue, _ interpreter: ResourceInterpreter) async -> Result<ReplicaInterpretation?, ScriptError> {
        do {
            return .success(try interpreter.replicas(of: template))
        } catch {
            if await unmatched.insert("\(template.uid ?? "")@\(template.generation ?? 0):\(error.message)") {
                events.record(template, type: "Warning", reason: "InterpretReplicaFailed", message: error.message)
            }
            return .failure(error)
        }
    }

    func desiredSpec(for template: JSONValue, claim: PolicySelection.Claim, current: ResourceBindingSpec?, priority: Int32? = nil,
                     replicas: ReplicaInterpretation? = nil) -> ResourceBindingSpec {
        var spec = current ?? ResourceBindingSpec(resource: ObjectReference(apiVersion: nil, kind: nil, namespace: nil, name: nil, uid: nil))
        // No resourceVersion: the binding follows the template's spec, not every status write to it.
        spec.resource = ObjectReference(apiVersion: template.apiVersion, kind: template.kind, namespace: template.namespace,
            name: template.name, uid: template.uid)
        var placement = claim.spec.placement ?? Placement()
        placement.setDefaultTolerations()
        spec.placement = placement
        spec.conflictResolution = claim.spec.conflictResolution
        spec.schedulerName = claim.spec.schedulerName
        spec.preserveResourcesOnDeletion = claim.spec.preserveResourcesOnDeletion
        spec.propagateDeps = claim.spec.propagateDeps == true ? true : nil
        spec.failover = claim.spec.failover
        spec.suspension = claim.spec.suspension.flatMap { try? ObjectEncoder().encode($0) }
        spec.schedulePriority = priority.map { ["priority": .integer(Int64($0))] }
        // The estimator divides by resource requests; the node claim stays with the template.
        spec.replicas = replicas?.replicas
        let requests = (replicas?.requirements?["resourceRequest"]?.objectValue ?? [:])
            .compactMapValues { $0.stringValue.flatMap { try? Quantity(parsing: $0) } }
        spec.replicaRequirements = requests.isEmpty ? nil : ReplicaRequirements(resourceRequest: requests)
        return spec
    }

    /// The value of the PriorityClass the claiming policy's `schedulePriority` names; 0 (and a Warning event once)
    /// when the class does not exist.
    func priority(of claim: PolicySelection.Claim, snapshot: ObjectSnapshot) async -> Int32? {
        guard let name = claim.spec.schedulePriority?.priorityClassName else { return nil }
        if let value = snapshot.object(PriorityClass.descriptor, key: "/\(name)")?["value"]?.int64Value { return Int32(clamping: value) }
        let key = "\(claim.policyNamespace ?? "")/\(claim.policyName)"
        if await unmatched.insert("\(key)@priorityclass:\(name)") {
            let descriptor = claim.policyNamespace == nil ? ClusterPropagationPolicy.descriptor : PropagationPolicy.descriptor
            events.record(ObjectReference(apiVersion: descriptor.apiVersion, kind: descriptor.kind, namespace: claim.policyNamespace,
                name: claim.policyName, uid: nil), type: "Warning", reason: "PriorityClassNotFound",
                message: "priorityclass \(name) does not exist: the policy's bindings are scheduled at priority 0")
        }
        return 0
    }

    func ensureBinding(for template: JSONValue, claim: PolicySelection.Claim, existing: JSONValue?, priority: Int32? = nil,
                       replicas: ReplicaInterpretation? = nil) async throws(APIError) {
        var labels = [claim.policyNamespace == nil ? Self.clusterPolicyLabel : Self.policyLabel: claim.policyName]
        if let namespace = claim.policyNamespace { labels[Self.policyNamespaceLabel] = namespace }
        let generation = String(template.generation ?? 0)
        if let existing, var binding = try? ResourceBinding(json: existing) {
            let mergedLabels = (binding.metadata.labels ?? [:]).filter { ![Self.policyLabel, Self.policyNamespaceLabel, Self.clusterPolicyLabel].contains($0.key) }
                .merging(labels) { _, new in new }
            // activationPreference Lazy: a change of the same policy waits for the template's next change.
            if claim.spec.activationPreference == "Lazy", mergedLabels == (binding.metadata.labels ?? [:]),
                binding.metadata.annotations?[Self.templateGenerationAnnotation] == generation {
                return
            }
            let spec = desiredSpec(for: template, claim: claim, current: binding.spec, priority: priority, replicas: replicas)
            var annotations = binding.metadata.annotations ?? [:]
            annotations[Self.templateGenerationAnnotation] = generation
            guard spec != binding.spec || mergedLabels != (binding.metadata.labels ?? [:]) || annotations != (binding.metadata.annotations ?? [:]) else { return }
            binding.spec = spec
            binding.metadata.labels = mergedLabels
            binding.metadata.annotations = annotations
            _ = try await client.update(ResourceBinding.descriptor(of: existing), binding.json())
            return
        }
        var binding = ResourceBinding(metadata: ObjectMeta(name: Self.bindingName(template), namespace: template.namespace, labels: labels,
            annotations: [Self.templateGenerationAnnotation: generation]), spec: desiredSpec(for: template, claim: claim, current: nil, priority: priority,
                                                                                   replicas: replicas))
        if let uid = template.uid, let kind = template.kind, let apiVersion = template.apiVersion {
            binding.metadata.ownerReferences = [OwnerReference(apiVersion: apiVersion, kind: kind, name: template.name ?? "", uid: uid,
                controller: true, blockOwnerDeletion: true)]
        }
        do {
            // Typed: admitted without the decode, and encoded once (the JSON path encoded, decoded and encoded again).
            if template.namespace == nil {
                _ = try await client.create(ClusterResourceBinding(binding))
            } else {
                _ = try await client.create(binding)
            }
            events.record(template, reason: "ApplyPolicySucceed",
                message: "Apply policy(\(claim.policyNamespace.map { "\($0)/" } ?? "")\(claim.policyName)) succeed")
        } catch {
            if error.reason != .alreadyExists { throw error }
        }
    }

    /// Labels the template with its claiming policy (and drops the other kind's claim label, after a preemption);
    /// a preemption is a Normal event on the template, as Karmada records it.
    func labelTemplate(_ template: JSONValue, kind: ResourceDescriptor, claim: PolicySelection.Claim) async throws(APIError) {
        let key = claim.policyNamespace == nil ? Self.clusterPolicyLabel : Self.policyLabel
        let other = claim.policyNamespace == nil ? Self.policyLabel : Self.clusterPolicyLabel
        guard template.labels[key] != claim.policyName || template.labels[other] != nil else { return }
        var labels: JSONObject = [key: .string(claim.policyName)]
        if template.labels[other] != nil { labels[other] = .null }
        _ = try await client.mergePatch(kind, namespace: template.namespace, name: template.name ?? "", ["metadata": ["labels": .object(labels)]])
        if let preempted = claim.preempted {
            let kindName = claim.policyNamespace == nil ? "ClusterPropagationPolicy" : "PropagationPolicy"
            events.record(template, reason: "PreemptPolicySucceed",
                message: "\(kindName) \(claim.policyNamespace.map { "\($0)/" } ?? "")\(claim.policyName) preempted \(preempted) (preemption: Always, higher priority)")
        }
    }
}

/// Keys already acted on, so a level-triggered loop reports something once.
actor ReportedSet {
    private var keys = Set<String>()
    /// True when the key is new.
    func insert(_ key: String) -> Bool { keys.insert(key).inserted }
}
