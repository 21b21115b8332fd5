import FlotillaAPI
import Foundation
import Testing
@testable import FlotillaControllers

/// The HPA's replica calculator and behavior, pure, against Kubernetes' documented rules.
@Suite struct AutoscalingAlgorithmTests {
    typealias Sample = ReplicaCalculator.PodSample

    static func pods(_ usages: [Double?], request: Double = 0.2, ready: [Bool]? = nil) -> [Sample] {
        usages.enumerated().map { offset, usage in
            Sample(name: "p\(offset)", ready: ready?[offset] ?? true, request: request, usage: usage)
        }
    }

    /// (current replicas, pod usages in cores with 200m requests, readiness, target %) → replicas.
    static let utilizationCases: [(Int, [Double?], [Bool]?, Int32, Int)] = [
        (2, [0.4, 0.4], nil, 50, 8),                 // 200 % of request, target 50 % → ratio 4
        (2, [0.11, 0.1], nil, 50, 2),                // ratio 1.05: within the tolerance
        (4, [0.01, 0.01, 0.01, 0.01], nil, 50, 1),   // 5 % → ceil(0.4)
        (3, [0.3, 0.3, nil], nil, 50, 6),            // ratio 3, up: the pod without metrics uses nothing → 0.6/0.3 = 2 → ceil(2 × 3)
        (2, [0.02, nil], nil, 50, 2),                // scale down with a missing pod: counts as 100 % → (0.02+0.2)/0.2 = 1.1 → within tolerance
        (2, [0.4, 0.0], [true, false], 50, 4),       // scale up: the unready pod counts as 0 → (0.4)/(0.2) = 2 → 4
    ]

    @Test(arguments: utilizationCases)
    func utilization(_ current: Int, _ usages: [Double?], _ ready: [Bool]?, _ target: Int32, _ expected: Int) throws {
        let result = try ReplicaCalculator.replicas(current: current, samples: Self.pods(usages, ready: ready), target: .utilization(target)).get()
        #expect(result.replicas == expected, "\(usages)")
    }

    @Test func averageValueAndFailures() throws {
        let result = try ReplicaCalculator.replicas(current: 2, samples: Self.pods([0.3, 0.5]), target: .averageValue(0.1)).get()
        #expect(result.replicas == 8 && abs(result.averageValue - 0.4) < 1e-9 && result.utilization == nil)
        #expect(ReplicaCalculator.replicas(current: 2, samples: Self.pods([nil, nil]), target: .utilization(50)) == .failure(.noMetrics))
        var noRequest = Self.pods([0.1])
        noRequest[0].request = nil
        #expect(ReplicaCalculator.replicas(current: 1, samples: noRequest, target: .utilization(50)) == .failure(.missingRequest(pod: "p0")))
    }

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func behavior(upWindow: Int32 = 0, downWindow: Int32 = 300, up: [HPAScalingPolicy]? = nil, down: [HPAScalingPolicy]? = nil,
                         upSelect: String = "Max") -> HorizontalPodAutoscalerBehavior {
        var behavior = HorizontalPodAutoscalerBehavior()
        behavior.scaleUp = HPAScalingRules.withDefaults(HPAScalingRules(stabilizationWindowSeconds: upWindow, selectPolicy: upSelect, policies: up), up: true)
        behavior.scaleDown = HPAScalingRules.withDefaults(HPAScalingRules(stabilizationWindowSeconds: downWindow, policies: down), up: false)
        return behavior
    }

    @Test func defaultsRateLimitScaleUpToTheLargerOfDoubleOrFourPods() {
        let (first, _) = ScalingBehavior.normalize(desired: 8, current: 2, minReplicas: 2, maxReplicas: 8, behavior: Self.behavior(),
                                                   recommendations: [], events: [], now: Self.t0)
        #expect(first == .init(replicas: 6, limitedBy: "ScaleUpLimit"))
        // Within the same 15 s period, the 4 already added count: no further step.
        let events = [ScalingBehavior.ScaleEvent(at: Self.t0, change: 4)]
        let (second, _) = ScalingBehavior.normalize(desired: 8, current: 6, minReplicas: 2, maxReplicas: 8, behavior: Self.behavior(),
                                                    recommendations: [], events: events, now: Self.t0.addingTimeInterval(5))
        #expect(second.replicas == 6)
        let (third, _) = ScalingBehavior.normalize(desired: 8, current: 6, minReplicas: 2, maxReplicas: 8, behavior: Self.behavior(),
                                                   recommendations: [], events: events, now: Self.t0.addingTimeInterval(16))
        #expect(third == .init(replicas: 8, limitedBy: nil))
        // Min picks the smaller step; Disabled none.
        let (minimal, _) = ScalingBehavior.normalize(desired: 20, current: 2, minReplicas: 1, maxReplicas: 50, behavior: Self.behavior(upSelect: "Min"),
                                                     recommendations: [], events: [], now: Self.t0)
        #expect(minimal.replicas == 4)
        let (disabled, _) = ScalingBehavior.normalize(desired: 20, current: 2, minReplicas: 1, maxReplicas: 50,
                                                      behavior: Self.behavior(upSelect: "Disabled"), recommendations: [], events: [], now: Self.t0)
        #expect(disabled.replicas == 2)
    }

    @Test func theScaleDownWindowHoldsTheHighestRecentRecommendation() {
        let recent = [ScalingBehavior.Recommendation(at: Self.t0.addingTimeInterval(-100), replicas: 7),
                      ScalingBehavior.Recommendation(at: Self.t0.addingTimeInterval(-400), replicas: 9)]
        let (held, kept) = ScalingBehavior.normalize(desired: 3, current: 8, minReplicas: 1, maxReplicas: 10, behavior: Self.behavior(),
                                                     recommendations: recent, events: [], now: Self.t0)
        #expect(held.replicas == 7, "the 9 is older than the 300 s window")
        #expect(kept.map(\.replicas) == [7, 3])
        let (free, _) = ScalingBehavior.normalize(desired: 3, current: 8, minReplicas: 1, maxReplicas: 10, behavior: Self.behavior(downWindow: 0),
                                                  recommendations: recent, events: [], now: Self.t0)
        #expect(free.replicas == 3)
        let (floored, _) = ScalingBehavior.normalize(desired: 1, current: 8, minReplicas: 2, maxReplicas: 10, behavior: Self.behavior(downWindow: 0),
                                                     recommendations: [], events: [], now: Self.t0)
        #expect(floored == .init(replicas: 2, limitedBy: "TooFewReplicas"))
        let pods = [HPAScalingPolicy(type: "Pods", value: 1, periodSeconds: 60)]
        let (stepped, _) = ScalingBehavior.normalize(desired: 1, current: 8, minReplicas: 1, maxReplicas: 10, behavior: Self.behavior(downWindow: 0, down: pods),
                                                     recommendations: [], events: [], now: Self.t0)
        #expect(stepped == .init(replicas: 7, limitedBy: "ScaleDownLimit"))
    }

    static let invalid: [(String, String)] = [
        ("{scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}, minReplicas: 3, maxReplicas: 2}", "spec.maxReplicas"),
        ("{scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}, maxReplicas: 2, metrics: [{type: Object, object: {}}]}", "spec.metrics[0].type"),
        ("{scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}, maxReplicas: 2, metrics: [{type: Pods}]}", "spec.metrics[0].pods"),
        ("{scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}, maxReplicas: 2, metrics: [{type: Pods, pods: {metric: {name: players}, target: {type: Utilization, averageUtilization: 50}}}]}",
         "spec.metrics[0].pods.target.type"),
        ("{scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}, maxReplicas: 2, metrics: [{type: Pods, pods: {metric: {name: \"\"}, target: {type: AverageValue, averageValue: 2}}}]}",
         "spec.metrics[0].pods.metric.name"),
        ("{scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}, maxReplicas: 2, metrics: [{type: Pods, pods: {metric: {name: players}, target: {type: AverageValue}}}]}",
         "spec.metrics[0].pods.target.averageValue"),
        ("{scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}, maxReplicas: 2, metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization}}}]}",
         "spec.metrics[0].resource.target.averageUtilization"),
        ("{scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}, maxReplicas: 2, behavior: {scaleUp: {selectPolicy: Most}}}",
         "spec.behavior.scaleUp.selectPolicy"),
        ("{scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}, maxReplicas: 2, behavior: {scaleDown: {policies: [{type: Pods, value: 1, periodSeconds: 4000}]}}}",
         "spec.behavior.scaleDown.policies[0].periodSeconds"),
    ]

    @Test(arguments: invalid)
    func aBrokenAutoscalerIsRefused(_ spec: String, _ field: String) throws {
        let object = try YAMLCodec.decode("apiVersion: autoscaling.karmada.io/v1alpha1\nkind: FederatedHPA\nmetadata: {name: a, namespace: default}\nspec: \(spec)\n")
        guard case .failure(.invalid(let errors)) = FederatedHPA.admit(object) else { Issue.record("admitted: \(spec)"); return }
        #expect(errors.map { "\($0.field)" }.contains(field), "\(errors)")
    }

    @Test func defaultsAreAutoscalingV2s() throws {
        let object = try YAMLCodec.decode("apiVersion: autoscaling.karmada.io/v1alpha1\nkind: FederatedHPA\nmetadata: {name: a, namespace: default}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}, maxReplicas: 5}\n")
        let admitted = try FederatedHPA(json: try FederatedHPA.admit(object).get())
        #expect(admitted.spec.minReplicas == 1)
        #expect(admitted.spec.metrics?.first?.resource?.target.averageUtilization == 80)
        #expect(admitted.spec.behavior?.scaleDown?.stabilizationWindowSeconds == 300)
        #expect(admitted.spec.behavior?.scaleUp?.policies?.count == 2)
    }
}
