import FlotillaAPI
import Foundation
import Testing
@testable import FlotillaControllers

/// The VPA recommender's pieces, pure: the decaying histogram and the recommendation built on it.
@Suite struct RecommenderTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func percentilesAreBucketUpperEdgesAndRecentSamplesWeighMore() {
        var histogram = DecayingHistogram.cpu(since: Self.t0)
        #expect(histogram.percentile(0.9) == 0)
        for _ in 0..<9 { histogram.add(0.1, weight: 1, at: Self.t0) }
        histogram.add(1.0, weight: 1, at: Self.t0)
        let p50 = histogram.percentile(0.5), p95 = histogram.percentile(0.95)
        #expect(p50 > 0.1 && p50 < 0.115, "the upper edge of 0.1's bucket: \(p50)")
        #expect(p95 > 1.0 && p95 < 1.06, "\(p95)")
        // A day later, the same one sample at 1.0 weighs twice as much as each old one: 2 of 11 > 10 %.
        histogram.add(1.0, weight: 1, at: Self.t0.addingTimeInterval(86_400))
        #expect(histogram.percentile(0.85) > 1.0)
        histogram.subtract(1.0, weight: 1, at: Self.t0.addingTimeInterval(86_400))
        #expect(histogram.percentile(0.85) < 0.115)
    }

    @Test func theTargetIsTheP90WithAMarginAndTheBoundsWidenWithLittleHistory() throws {
        var recommender = ResourceRecommender(since: Self.t0)
        for minute in 0..<600 {
            recommender.observe(cpu: minute % 10 == 0 ? 0.8 : 0.4, request: 0.5, memory: 200 * 1_048_576, at: Self.t0.addingTimeInterval(Double(minute * 60)))
        }
        let now = Self.t0.addingTimeInterval(600 * 60)
        let recommendation = try #require(recommender.recommendation(containers: 1, now: now))
        let cpu = try #require(recommendation.target["cpu"])
        #expect(cpu > 0.4 * 1.15 && cpu < 0.43 * 1.15, "p90 of a 90/10 mix of 0.4 and 0.8 is 0.4's bucket: \(cpu)")
        let memory = try #require(recommendation.target["memory"])
        #expect(memory >= 250 * 1_048_576, "at least the per-pod minimum: \(memory)")
        #expect(recommendation.lowerBound["cpu"]! < cpu && recommendation.upperBound["cpu"]! > cpu)
        // Two containers share the pod minimum.
        var tiny = ResourceRecommender(since: Self.t0)
        tiny.observe(cpu: 0.001, request: nil, memory: 1_000_000, at: Self.t0)
        let shared = try #require(tiny.recommendation(containers: 2, now: Self.t0.addingTimeInterval(60)))
        #expect(shared.target["cpu"] == ResourceRecommender.podMinimumCPU / 2)
    }

    @Test func aVPAIsValidatedAsUpstreamDoes() throws {
        let object = try YAMLCodec.decode("""
            apiVersion: autoscaling.k8s.io/v1
            kind: VerticalPodAutoscaler
            metadata: {name: v, namespace: default}
            spec:
              targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
              updatePolicy: {updateMode: Sometimes}
              resourcePolicy:
                containerPolicies: [{containerName: "*", controlledResources: [gpu], minAllowed: {cpu: 2}, maxAllowed: {cpu: 1}}]
            """)
        guard case .failure(.invalid(let errors)) = VerticalPodAutoscaler.admit(object) else { Issue.record("admitted"); return }
        let fields = Set(errors.map { "\($0.field)" })
        #expect(fields == ["spec.updatePolicy.updateMode", "spec.resourcePolicy.containerPolicies[0].controlledResources[0]",
                           "spec.resourcePolicy.containerPolicies[0].maxAllowed[cpu]"], "\(fields)")
    }
}
