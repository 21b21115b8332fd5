import FlotillaAPI

/// Which (Cluster)PropagationPolicy claims a resource template, with Karmada's precedence and its claim rules.
///
/// **An unclaimed template** (or one whose policy is gone or no longer selects it) goes to the best match: a
/// namespaced PropagationPolicy before a ClusterPropagationPolicy; then higher `priority`; then the more specific
/// match (name > label selector > apiVersion/kind only); then the lexicographically smaller policy name.
///
/// **A claimed template stays with its policy** (the detector's claim labels on the template say which), even when a
/// better match appears, unless a matching policy with `preemption: Always` may preempt it:
///
/// | claimed by | may be preempted by (with `preemption: Always`) |
/// |---|---|
/// | PropagationPolicy of priority p | a PropagationPolicy of priority > p |
/// | ClusterPropagationPolicy of priority p | any PropagationPolicy; a ClusterPropagationPolicy of priority > p |
///
/// Among several preemptors the best match wins, by the precedence above.
public enum PolicySelection {
    public static let policyLabel = "propagationpolicy.karmada.io/name"
    public static let clusterPolicyLabel = "clusterpropagationpolicy.karmada.io/name"

    public struct Claim: Sendable {
        public var policyName: String
        public var policyNamespace: String?
        public var spec: PropagationSpec
        /// The policy this claim took the template from by preemption (`namespace/name`, or `name` for a cluster
        /// policy); nil when the template was unclaimed or stays with its policy.
        public var preempted: String?
    }

    static func bestSpecificity(_ spec: PropagationSpec, template: JSONValue) -> Int? {
        spec.resourceSelectors.compactMap { $0.specificity(for: template) }.max()
    }

    typealias Ranked = (claim: Claim, priority: Int32, specificity: Int)

    static func best(_ candidates: [Ranked]) -> Ranked? {
        candidates.sorted { a, b in
            if a.priority != b.priority { return a.priority > b.priority }
            if a.specificity != b.specificity { return a.specificity > b.specificity }
            return a.claim.policyName < b.claim.policyName
        }.first
    }

    public static func select(template: JSONValue, policies: [PropagationPolicy], clusterPolicies: [ClusterPropagationPolicy]) -> Claim? {
        let namespaced: [Ranked] = policies.filter { $0.metadata.namespace == template.namespace }.compactMap { policy in
            guard let s = bestSpecificity(policy.spec, template: template) else { return nil }
            return (Claim(policyName: policy.metadata.name ?? "", policyNamespace: policy.metadata.namespace, spec: policy.spec),
                    policy.spec.priority ?? 0, s)
        }
        let clusterScoped: [Ranked] = clusterPolicies.compactMap { policy in
            guard let s = bestSpecificity(policy.spec, template: template) else { return nil }
            return (Claim(policyName: policy.metadata.name ?? "", policyNamespace: nil, spec: policy.spec), policy.spec.priority ?? 0, s)
        }
        let labels = template.labels
        // The current claim, if its policy still exists and still selects the template.
        if let name = labels[policyLabel], let current = namespaced.first(where: { $0.claim.policyName == name }) {
            let preemptors = namespaced.filter { $0.claim.spec.preemption == "Always" && $0.priority > current.priority && $0.claim.policyName != name }
            guard var winner = best(preemptors)?.claim else { return current.claim }
            winner.preempted = "\(template.namespace ?? "")/\(name)"
            return winner
        }
        if let name = labels[clusterPolicyLabel], let current = clusterScoped.first(where: { $0.claim.policyName == name }) {
            if var winner = best(namespaced.filter { $0.claim.spec.preemption == "Always" })?.claim {
                winner.preempted = name
                return winner
            }
            let preemptors = clusterScoped.filter { $0.claim.spec.preemption == "Always" && $0.priority > current.priority && $0.claim.policyName != name }
            guard var winner = best(preemptors)?.claim else { return current.claim }
            winner.preempted = name
            return winner
        }
        return best(namespaced)?.claim ?? best(clusterScoped)?.claim
    }
}
