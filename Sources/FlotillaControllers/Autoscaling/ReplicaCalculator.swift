import FlotillaAPI
import Foundation

/// The horizontal pod autoscaler's replica count for one resource metric, Kubernetes' replica calculator
/// (`GetResourceReplicas`, `GetRawResourceReplicas`) over the pods of every member: pure.
///
/// The ratio is the Ready pods' usage over their targets (request × utilization, or the average value). Within the
/// tolerance (0.1) nothing changes. Pods without metrics count, when the ratio would scale down, as using their whole
/// request (or the target value), and when it would scale up as using nothing; pods not Ready count as using nothing, on scale-up only.
/// If counting them turns the direction around, or brings it within the tolerance, nothing changes.
public enum ReplicaCalculator {
    public static let tolerance = 0.1

    public struct PodSample: Sendable, Hashable {
        public var name: String
        public var ready: Bool
        /// The pod's request of the resource (summed over containers); nil when a container sets none.
        public var request: Double?
        /// Usage from metrics.k8s.io; nil when the pod has none.
        public var usage: Double?

        public init(name: String, ready: Bool, request: Double?, usage: Double?) {
            self.name = name
            self.ready = ready
            self.request = request
            self.usage = usage
        }
    }

    public enum Target: Sendable, Hashable {
        /// Percent of each pod's request.
        case utilization(Int32)
        /// Per pod, in the resource's units (cores, bytes).
        case averageValue(Double)
    }

    public struct Result: Sendable, Hashable {
        public var replicas: Int
        /// What the Ready pods with metrics use: percent of requests (utilization targets) …
        public var utilization: Int32?
        /// … and per pod, in the resource's units.
        public var averageValue: Double
    }

    public enum Failure: Error, Sendable, Hashable {
        case noMetrics
        case missingRequest(pod: String)
    }

    public static func replicas(current: Int, samples: [PodSample], target: Target) -> Swift.Result<Result, Failure> {
        let measured = samples.filter { $0.ready && $0.usage != nil }
        guard !measured.isEmpty else { return .failure(.noMetrics) }
        func goal(_ sample: PodSample) -> Double? {
            switch target {
            case .utilization(let percent): return sample.request.map { $0 * Double(percent) / 100 }
            case .averageValue(let value): return value
            }
        }
        if case .utilization = target, let pod = samples.first(where: { $0.request == nil }) { return .failure(.missingRequest(pod: pod.name)) }
        let usage = measured.reduce(0) { $0 + ($1.usage ?? 0) }
        let goals = measured.reduce(0) { $0 + (goal($1) ?? 0) }
        let requests = measured.reduce(0) { $0 + ($1.request ?? 0) }
        let utilization: Int32? = if case .utilization = target, requests > 0 { Int32((usage / requests * 100).rounded(.down)) } else { nil }
        let average = usage / Double(measured.count)
        guard goals > 0 else { return .failure(.noMetrics) }
        let ratio = usage / goals
        let missing = samples.filter { $0.usage == nil }
        let unready = samples.filter { !$0.ready && $0.usage != nil }
        let scaleUpWithUnready = ratio > 1 && !unready.isEmpty
        let result = { (replicas: Int) in Result(replicas: replicas, utilization: utilization, averageValue: average) }
        if missing.isEmpty && !scaleUpWithUnready {
            if abs(ratio - 1) <= tolerance { return .success(result(current)) }
            return .success(result(Int((ratio * Double(measured.count)).rounded(.up))))
        }
        // Count the pods without metrics (and, scaling up, the unready ones) as the rule above says.
        var newUsage = usage, newGoals = goals
        for pod in missing {
            let podGoal = goal(pod) ?? 0
            newGoals += podGoal
            // Scaling down, a pod without metrics is taken to use all it asks for: its request (utilization
            // targets) or the target value.
            if ratio < 1 {
                if case .utilization = target { newUsage += pod.request ?? 0 } else { newUsage += podGoal }
            }
        }
        if scaleUpWithUnready { for pod in unready { newGoals += goal(pod) ?? 0 } }
        let newRatio = newGoals > 0 ? newUsage / newGoals : ratio
        if abs(newRatio - 1) <= tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1) {
            return .success(result(current))
        }
        let counted = measured.count + missing.count + (scaleUpWithUnready ? unready.count : 0)
        return .success(result(Int((newRatio * Double(counted)).rounded(.up))))
    }
}
