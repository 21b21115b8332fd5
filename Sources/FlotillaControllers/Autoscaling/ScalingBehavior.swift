import FlotillaAPI
import Foundation

/// autoscaling/v2's `behavior`, as the HPA controller applies it (`normalizeDesiredReplicasWithBehaviors`): pure.
///
/// 1. Stabilization: the recommendation is held between the lowest recommendation of the scale-up window and the
///    highest of the scale-down window (both include the new one), so a dip or spike shorter than its window does
///    not move the count.
/// 2. Rate: scale-up and scale-down policies bound how far the count may move from where it stood at the start of
///    each policy's period (replicas added or removed by the recorded scale events in it); `selectPolicy: Max` takes
///    the policy allowing the larger change, `Min` the smaller, `Disabled` forbids that direction.
/// 3. `minReplicas`/`maxReplicas` clamp last. The reason says which limit applied (ScalingLimited).
public enum ScalingBehavior {
    public struct Recommendation: Sendable, Hashable {
        public var at: Date
        public var replicas: Int
        public init(at: Date, replicas: Int) { self.at = at; self.replicas = replicas }
    }

    public struct ScaleEvent: Sendable, Hashable {
        public var at: Date
        /// Replicas added (positive) or removed (negative).
        public var change: Int
        public init(at: Date, change: Int) { self.at = at; self.change = change }
    }

    public struct Outcome: Sendable, Hashable {
        public var replicas: Int
        /// nil: within range; else TooFewReplicas, TooManyReplicas, ScaleUpLimit, ScaleDownLimit.
        public var limitedBy: String?
    }

    /// The count to write, given the calculator's `desired`, and the recommendations to keep (the new one added,
    /// those older than both windows dropped).
    public static func normalize(desired: Int, current: Int, minReplicas: Int, maxReplicas: Int, behavior: HorizontalPodAutoscalerBehavior,
                                 recommendations: [Recommendation], events: [ScaleEvent], now: Date) -> (Outcome, [Recommendation]) {
        let upWindow = TimeInterval(behavior.scaleUp?.stabilizationWindowSeconds ?? 0)
        let downWindow = TimeInterval(behavior.scaleDown?.stabilizationWindowSeconds ?? 300)
        var upRecommendation = desired, downRecommendation = desired
        for recommendation in recommendations {
            if recommendation.at > now.addingTimeInterval(-upWindow) { upRecommendation = min(upRecommendation, recommendation.replicas) }
            if recommendation.at > now.addingTimeInterval(-downWindow) { downRecommendation = max(downRecommendation, recommendation.replicas) }
        }
        var stabilized = current
        if stabilized < upRecommendation { stabilized = upRecommendation }
        if stabilized > downRecommendation { stabilized = downRecommendation }
        let keepSince = now.addingTimeInterval(-max(upWindow, downWindow))
        let kept = recommendations.filter { $0.at > keepSince } + [Recommendation(at: now, replicas: desired)]

        var outcome = Outcome(replicas: stabilized, limitedBy: nil)
        if stabilized > current {
            let limit = upLimit(current: current, events: events, rules: behavior.scaleUp, now: now)
            let ceiling = min(maxReplicas, max(limit, current))
            if stabilized > ceiling { outcome = Outcome(replicas: ceiling, limitedBy: ceiling == maxReplicas ? "TooManyReplicas" : "ScaleUpLimit") }
        } else if stabilized < current {
            let limit = downLimit(current: current, events: events, rules: behavior.scaleDown, now: now)
            let floor = max(minReplicas, min(limit, current))
            if stabilized < floor { outcome = Outcome(replicas: floor, limitedBy: floor == minReplicas ? "TooFewReplicas" : "ScaleDownLimit") }
        }
        if outcome.replicas > maxReplicas { outcome = Outcome(replicas: maxReplicas, limitedBy: "TooManyReplicas") }
        if outcome.replicas < minReplicas { outcome = Outcome(replicas: minReplicas, limitedBy: "TooFewReplicas") }
        return (outcome, kept)
    }

    static func changed(_ events: [ScaleEvent], within seconds: Int32, now: Date, up: Bool) -> Int {
        let since = now.addingTimeInterval(-TimeInterval(seconds))
        return events.filter { $0.at > since && (up ? $0.change > 0 : $0.change < 0) }.reduce(0) { $0 + abs($1.change) }
    }

    static func upLimit(current: Int, events: [ScaleEvent], rules: HPAScalingRules?, now: Date) -> Int {
        guard let rules, rules.selectPolicy != "Disabled", let policies = rules.policies, !policies.isEmpty else {
            return rules?.selectPolicy == "Disabled" ? current : Int.max
        }
        let proposals = policies.map { policy -> Int in
            let start = current - changed(events, within: policy.periodSeconds, now: now, up: true)
            return policy.type == "Pods" ? start + Int(policy.value) : Int((Double(start) * (1 + Double(policy.value) / 100)).rounded(.up))
        }
        return rules.selectPolicy == "Min" ? proposals.min()! : proposals.max()!
    }

    static func downLimit(current: Int, events: [ScaleEvent], rules: HPAScalingRules?, now: Date) -> Int {
        guard let rules, rules.selectPolicy != "Disabled", let policies = rules.policies, !policies.isEmpty else {
            return rules?.selectPolicy == "Disabled" ? current : Int.min
        }
        let proposals = policies.map { policy -> Int in
            let start = current + changed(events, within: policy.periodSeconds, now: now, up: false)
            return policy.type == "Pods" ? start - Int(policy.value) : Int((Double(start) * (1 - Double(policy.value) / 100)).rounded(.towardZero))
        }
        // Max allows the larger change: the fewest replicas.
        return rules.selectPolicy == "Min" ? proposals.max()! : proposals.min()!
    }
}
