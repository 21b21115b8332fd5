import FlotillaAPI
import Testing
@testable import FlotillaScheduler

/// Karmada's claim rules: a claimed template stays with its policy unless a matching policy with
/// `preemption: Always` may preempt it (a PropagationPolicy of higher priority over a PropagationPolicy; any
/// PropagationPolicy, or a ClusterPropagationPolicy of higher priority, over a ClusterPropagationPolicy).
@Suite struct PolicyPreemptionTests {
    static let selector = ResourceSelector(apiVersion: "apps/v1", kind: "Deployment", name: "web")

    static func pp(_ name: String, _ priority: Int32, preempt: Bool = false) -> PropagationPolicy {
        var spec = PropagationSpec(resourceSelectors: [selector])
        spec.priority = priority
        spec.preemption = preempt ? "Always" : "Never"
        return PropagationPolicy(metadata: ObjectMeta(name: name, namespace: "games"), spec: spec)
    }

    static func cpp(_ name: String, _ priority: Int32, preempt: Bool = false) -> ClusterPropagationPolicy {
        var spec = PropagationSpec(resourceSelectors: [selector])
        spec.priority = priority
        spec.preemption = preempt ? "Always" : "Never"
        return ClusterPropagationPolicy(metadata: ObjectMeta(name: name), spec: spec)
    }

    static func template(claimedBy label: (String, String)?) -> JSONValue {
        var labels: JSONObject = [:]
        if let label { labels[label.0] = .string(label.1) }
        return ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "namespace": "games", "labels": .object(labels)]]
    }

    static let byPP = PolicySelection.policyLabel, byCPP = PolicySelection.clusterPolicyLabel

    /// (claimed by, policies, cluster policies, winner, preempted)
    static let cases: [(String, (String, String)?, [PropagationPolicy], [ClusterPropagationPolicy], String?, String?)] = [
        ("unclaimed: the best match", nil, [pp("low", 1), pp("high", 9)], [], "high", nil),
        ("claimed: a better match without preemption waits", (byPP, "low"), [pp("low", 1), pp("high", 9)], [], "low", nil),
        ("claimed: a higher priority with preemption takes it", (byPP, "low"), [pp("low", 1), pp("high", 9, preempt: true)], [], "high", "games/low"),
        ("claimed: equal priority cannot preempt", (byPP, "low"), [pp("low", 5), pp("same", 5, preempt: true)], [], "low", nil),
        ("claimed: lower priority cannot preempt", (byPP, "high"), [pp("high", 9), pp("low", 1, preempt: true)], [], "high", nil),
        ("a cluster policy never preempts a policy", (byPP, "low"), [pp("low", 1)], [cpp("wide", 100, preempt: true)], "low", nil),
        ("a policy preempts a cluster policy whatever the priorities", (byCPP, "wide"), [pp("local", -5, preempt: true)], [cpp("wide", 100)], "local", "wide"),
        ("a policy without preemption leaves a cluster policy's claim", (byCPP, "wide"), [pp("local", 50)], [cpp("wide", 1)], "wide", nil),
        ("a cluster policy preempts a lower cluster policy", (byCPP, "wide"), [], [cpp("wide", 1), cpp("wider", 2, preempt: true)], "wider", "wide"),
        ("the claiming policy is gone: the best match", (byPP, "deleted"), [pp("other", 0)], [], "other", nil),
    ]

    @Test(arguments: cases)
    func claim(_ name: String, claimedBy: (String, String)?, policies: [PropagationPolicy], clusterPolicies: [ClusterPropagationPolicy],
               winner: String?, preempted: String?) {
        let claim = PolicySelection.select(template: Self.template(claimedBy: claimedBy), policies: policies, clusterPolicies: clusterPolicies)
        #expect(claim?.policyName == winner, "\(name)")
        #expect(claim?.preempted == preempted, "\(name)")
    }
}
