import FlotillaAPI
import Testing
@testable import FlotillaScheduler

func quantities(_ pairs: [String: String]) -> [String: Quantity] {
    pairs.mapValues { try! Quantity(parsing: $0) }
}

func cluster(_ name: String, labels: [String: String] = [:], provider: String? = nil, region: String? = nil,
             zones: [String]? = nil) -> Cluster {
    var spec = ClusterSpec(syncMode: "Push", provider: provider, region: region, zones: zones)
    spec.zone = nil
    return Cluster(metadata: ObjectMeta(name: name, labels: labels), spec: spec)
}

@Suite struct GeneralEstimatorTests {
    static let summary = ResourceSummary(
        allocatable: quantities(["cpu": "4", "memory": "8Gi", "pods": "110"]),
        allocating: quantities(["cpu": "500m", "pods": "2"]),
        allocated: quantities(["cpu": "1500m", "memory": "2Gi", "pods": "10"]))

    @Test(arguments: [
        // cpu: (4 − 1.5 − 0.5) / 0.25 = 8; memory: 6Gi / 512Mi = 12; pods: 110 − 10 − 2 = 98 → 8
        (["cpu": "250m", "memory": "512Mi"], 8),
        // memory binds: 6Gi / 1Gi = 6
        (["cpu": "100m", "memory": "1Gi"], 6),
        // no requests: only pods bind
        ([:], 98),
        // a resource the cluster does not report: 0
        (["nvidia.com/gpu": "1"], 0),
        // zero requests are ignored
        (["cpu": "0", "memory": "3Gi"], 2),
    ])
    func estimates(request: [String: String], expected: Int) {
        #expect(GeneralEstimator.maxAvailableReplicas(summary: Self.summary, request: quantities(request)) == expected)
    }

    @Test func noSummaryMeansUnknownAndFullPodsMeanZero() {
        #expect(GeneralEstimator.maxAvailableReplicas(summary: nil, request: quantities(["cpu": "1"])) == nil)
        let full = ResourceSummary(allocatable: quantities(["cpu": "4", "pods": "10"]), allocated: quantities(["pods": "12"]))
        #expect(GeneralEstimator.maxAvailableReplicas(summary: full, request: quantities(["cpu": "1"])) == 0)
    }
}

@Suite struct ClusterAffinityTests {
    static let edge = cluster("edge-1", labels: ["tier": "edge"], provider: "acme", region: "jp-east", zones: ["tokyo-a", "tokyo-b"])

    @Test(arguments: [
        (ClusterAffinity(), true),
        (ClusterAffinity(clusterNames: ["edge-1", "edge-2"]), true),
        (ClusterAffinity(clusterNames: ["edge-2"]), false),
        (ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "edge"])), true),
        (ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "cloud"])), false),
        (ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "edge"]), exclude: ["edge-1"]), false),
        (ClusterAffinity(fieldSelector: ClusterFieldSelector(matchExpressions: [NodeSelectorRequirement(key: "region", operator: "In", values: ["jp-east"])])), true),
        (ClusterAffinity(fieldSelector: ClusterFieldSelector(matchExpressions: [NodeSelectorRequirement(key: "zone", operator: "In", values: ["tokyo-b"])])), true),
        (ClusterAffinity(fieldSelector: ClusterFieldSelector(matchExpressions: [NodeSelectorRequirement(key: "zone", operator: "NotIn", values: ["tokyo-b"])])), false),
        (ClusterAffinity(fieldSelector: ClusterFieldSelector(matchExpressions: [NodeSelectorRequirement(key: "provider", operator: "NotIn", values: ["other"])])), true),
        // Every set part must match.
        (ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "edge"]), clusterNames: ["edge-9"]), false),
    ])
    func matches(affinity: ClusterAffinity, expected: Bool) {
        #expect(affinity.matches(Self.edge) == expected)
    }
}

@Suite struct StaticWeightTests {
    static let candidates = [
        cluster("edge-1", labels: ["tier": "edge"]), cluster("edge-2", labels: ["tier": "edge"]),
        cluster("cloud-central", labels: ["tier": "cloud"]), cluster("other"),
    ]
    static let rules = [
        StaticClusterWeight(targetCluster: ClusterAffinity(labelSelector: LabelSelector(matchLabels: ["tier": "edge"])), weight: 3),
        StaticClusterWeight(targetCluster: ClusterAffinity(clusterNames: ["cloud-central"]), weight: 1),
    ]

    @Test func weightsTakeTheMaximumAndDropUnmatchedClusters() {
        var rules = Self.rules
        rules.append(StaticClusterWeight(targetCluster: ClusterAffinity(clusterNames: ["edge-2"]), weight: 1))
        let weights = StaticWeights.weights(candidates: Self.candidates, rules: rules)
        #expect(weights.map(\.name) == ["edge-1", "edge-2", "cloud-central"])
        #expect(weights.map(\.votes) == [3, 3, 1])
    }

    @Test func noMatchAtAllGivesEveryCandidateWeightOne() {
        let rules = [StaticClusterWeight(targetCluster: ClusterAffinity(clusterNames: ["nowhere"]), weight: 5)]
        #expect(StaticWeights.weights(candidates: Self.candidates, rules: rules).map(\.votes) == [1, 1, 1, 1])
    }

    /// 7 replicas over edge-1 = 3, edge-2 = 3, cloud-central = 1, ascending names (UID ""):
    /// seats go e1, e2, cloud (tie at 1, fewest seats), e1, e2, e1, e2 → cloud 1, edge-1 3, edge-2 3.
    @Test func dividesByWebster() {
        let result = StaticWeights.divide(7, candidates: Self.candidates, rules: Self.rules, bindingUID: "")
        #expect(result == [TargetCluster(name: "cloud-central", replicas: 1), TargetCluster(name: "edge-1", replicas: 3),
                           TargetCluster(name: "edge-2", replicas: 3)])
        // One replica over weights 3:3:1 goes to edge-1 (ascending) or edge-2 (descending, "uid-1" is odd).
        #expect(StaticWeights.divide(1, candidates: Self.candidates, rules: Self.rules, bindingUID: "uid-1").map(\.name) == ["edge-2"])
        #expect(StaticWeights.divide(1, candidates: Self.candidates, rules: Self.rules, bindingUID: "uid-2").map(\.name) == ["edge-1"])
    }
}
