import FlotillaAPI

/// Which (Cluster)PropagationPolicy claims a resource template, with Karmada's precedence: a namespaced
/// PropagationPolicy before a ClusterPropagationPolicy; then higher `priority`; then the more specific match
/// (name > label selector > apiVersion/kind only); then the lexicographically smaller policy name.
public enum PolicySelection {
    public struct Claim: Sendable {
        public var policyName: String
        public var policyNamespace: String?
        public var spec: PropagationSpec
    }

    static func bestSpecificity(_ spec: PropagationSpec, template: JSONValue) -> Int? {
        spec.resourceSelectors.compactMap { $0.specificity(for: template) }.max()
    }

    public static func select(template: JSONValue, policies: [PropagationPolicy], clusterPolicies: [ClusterPropagationPolicy]) -> Claim? {
        typealias Ranked = (claim: Claim, priority: Int32, specificity: Int)
        func best(_ candidates: [Ranked]) -> Claim? {
            candidates.sorted { a, b in
                if a.priority != b.priority { return a.priority > b.priority }
                if a.specificity != b.specificity { return a.specificity > b.specificity }
                return a.claim.policyName < b.claim.policyName
            }.first?.claim
        }
        let namespaced: [Ranked] = policies.filter { $0.metadata.namespace == template.namespace }.compactMap { policy in
            guard let s = bestSpecificity(policy.spec, template: template) else { return nil }
            return (Claim(policyName: policy.metadata.name ?? "", policyNamespace: policy.metadata.namespace, spec: policy.spec),
                    policy.spec.priority ?? 0, s)
        }
        if let claim = best(namespaced) { return claim }
        let clusterScoped: [Ranked] = clusterPolicies.compactMap { policy in
            guard let s = bestSpecificity(policy.spec, template: template) else { return nil }
            return (Claim(policyName: policy.metadata.name ?? "", policyNamespace: nil, spec: policy.spec), policy.spec.priority ?? 0, s)
        }
        return best(clusterScoped)
    }
}
