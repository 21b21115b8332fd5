import FlotillaAPI
import Foundation

/// The Vertical Pod Autoscaler's recommender for one container, with VPA's method: CPU usage samples (weighted by
/// the request) and memory peaks (one per 24 h interval) in decaying histograms; the target is the 90th percentile
/// of CPU and of memory peaks, the lower bound the 50th, the upper bound the 95th, each with a 15 % safety margin,
/// the bounds widened while there is little history (confidence: days of samples at one a minute), and at least
/// 25 m CPU and 250 MiB per pod, shared among its containers. Pure value type.
public struct ResourceRecommender: Sendable {
    public static let safetyMargin = 0.15
    public static let podMinimumCPU = 0.025
    public static let podMinimumMemory = 250.0 * 1_048_576
    static let memoryInterval: TimeInterval = 86_400

    public private(set) var cpu: DecayingHistogram
    public private(set) var memory: DecayingHistogram
    public private(set) var samples = 0
    let firstSample: Date
    /// The current memory interval's start and peak (the peak is in `memory` already).
    private var memoryPeak: (start: Date, value: Double)?

    public init(since start: Date) {
        cpu = .cpu(since: start)
        memory = .memory(since: start)
        firstSample = start
    }

    /// One observation of the container: CPU in cores (its request weighs the sample, at least 0.1), memory in bytes.
    public mutating func observe(cpu usage: Double, request: Double?, memory bytes: Double, at time: Date) {
        samples += 1
        cpu.add(usage, weight: max(request ?? 0, 0.1), at: time)
        if let peak = memoryPeak, time.timeIntervalSince(peak.start) < Self.memoryInterval {
            if bytes > peak.value {
                memory.subtract(peak.value, weight: 1, at: peak.start)
                memory.add(bytes, weight: 1, at: peak.start)
                memoryPeak = (peak.start, bytes)
            }
        } else {
            memory.add(bytes, weight: 1, at: time)
            memoryPeak = (time, bytes)
        }
    }

    public struct Recommendation: Sendable, Hashable {
        public var target: [String: Double]
        public var lowerBound: [String: Double]
        public var upperBound: [String: Double]
    }

    /// The recommendation for a container that shares its pod with `containers - 1` others.
    public func recommendation(containers: Int, now: Date) -> Recommendation? {
        guard samples > 0 else { return nil }
        let days = max(now.timeIntervalSince(firstSample), 60) / 86_400
        let confidence = min(days, Double(samples) / (60 * 24))
        let share = Double(max(containers, 1))
        let minimum = ["cpu": Self.podMinimumCPU / share, "memory": Self.podMinimumMemory / share]
        func margin(_ value: Double) -> Double { value * (1 + Self.safetyMargin) }
        var target: [String: Double] = [:], lower: [String: Double] = [:], upper: [String: Double] = [:]
        for (resource, histogram) in [("cpu", cpu), ("memory", memory)] {
            target[resource] = max(margin(histogram.percentile(0.9)), minimum[resource]!)
            lower[resource] = max(margin(histogram.percentile(0.5)) * pow(1 + 0.001 / confidence, -2), minimum[resource]!)
            upper[resource] = max(margin(histogram.percentile(0.95)) * (1 + 1 / confidence), minimum[resource]!)
        }
        return Recommendation(target: target, lowerBound: lower, upperBound: upper)
    }
}
