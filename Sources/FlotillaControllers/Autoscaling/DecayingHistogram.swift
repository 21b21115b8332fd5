import Foundation

/// The Vertical Pod Autoscaler's decaying histogram: exponentially growing buckets (the first `firstBucket` wide,
/// each `ratio` times the one before), sample weights that double every `halfLife` so recent usage counts more,
/// and percentiles read as the upper edge of the bucket they fall in. Pure value type.
public struct DecayingHistogram: Sendable, Hashable {
    public let firstBucket: Double
    public let ratio: Double
    public let buckets: Int
    public let halfLife: TimeInterval
    /// Weights are relative to this time, so they stay finite.
    public let reference: Date
    private(set) var weights: [Double]
    public private(set) var total: Double = 0

    /// CPU in cores: 10 m first bucket, 5 % growth up to ~1000 cores; a day's half-life (VPA's defaults).
    public static func cpu(since reference: Date) -> DecayingHistogram {
        DecayingHistogram(firstBucket: 0.01, ratio: 1.05, maxValue: 1000, halfLife: 86_400, reference: reference)
    }

    /// Memory in bytes: 10 MB first bucket, 5 % growth up to 1 TB.
    public static func memory(since reference: Date) -> DecayingHistogram {
        DecayingHistogram(firstBucket: 1e7, ratio: 1.05, maxValue: 1e12, halfLife: 86_400, reference: reference)
    }

    public init(firstBucket: Double, ratio: Double, maxValue: Double, halfLife: TimeInterval, reference: Date) {
        self.firstBucket = firstBucket
        self.ratio = ratio
        self.halfLife = halfLife
        self.reference = reference
        buckets = Int((log(maxValue * (ratio - 1) / firstBucket + 1) / log(ratio)).rounded(.up)) + 1
        weights = Array(repeating: 0, count: buckets)
    }

    func bucket(of value: Double) -> Int {
        guard value > 0 else { return 0 }
        return min(buckets - 1, Int((log(value * (ratio - 1) / firstBucket + 1) / log(ratio)).rounded(.down)))
    }

    /// Where bucket `index` starts.
    public func start(of index: Int) -> Double { firstBucket * (pow(ratio, Double(index)) - 1) / (ratio - 1) }

    func decay(_ weight: Double, at time: Date) -> Double { weight * pow(2, time.timeIntervalSince(reference) / halfLife) }

    public mutating func add(_ value: Double, weight: Double, at time: Date) {
        let decayed = decay(weight, at: time)
        weights[bucket(of: value)] += decayed
        total += decayed
    }

    /// Takes a sample back out (a memory peak replaced by a higher one in the same interval).
    public mutating func subtract(_ value: Double, weight: Double, at time: Date) {
        let decayed = decay(weight, at: time)
        let index = bucket(of: value)
        let removed = min(weights[index], decayed)
        weights[index] -= removed
        total -= removed
    }

    public var isEmpty: Bool { total <= 0 }

    /// The upper edge of the bucket where the cumulative weight reaches `fraction` (0…1); 0 when empty.
    public func percentile(_ fraction: Double) -> Double {
        guard total > 0 else { return 0 }
        var cumulative = 0.0
        for (index, weight) in weights.enumerated() {
            cumulative += weight
            if weight > 0, cumulative >= fraction * total * (1 - 1e-12) {
                return start(of: index + 1)
            }
        }
        return start(of: buckets)
    }
}
