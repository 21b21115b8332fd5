import FlotillaAPI

/// Every plugin the scheduler has, by name, in the fixed order it runs them:
/// filters APIEnablement → TaintToleration → ClusterAffinity → ClusterEviction → Latency; scores ClusterLocality, Latency.
/// A `SchedulerConfiguration` disables plugins by name and sets score weights (default 1).
public enum PluginRegistry {
    public static let filters: [any FilterPlugin] = [APIEnablementFilter(), TaintTolerationFilter(), ClusterAffinityFilter(), ClusterEvictionFilter(),
                                                          LatencyFilter()]
    public static let scorers: [any ScorePlugin] = [ClusterLocalityScore(), LatencyScore()]
}

/// Which plugins run and how much each score counts. Unknown names are an error, not silently ignored.
public struct SchedulerConfiguration: Sendable, Hashable, Codable {
    /// Plugin names to switch off (a name covers both the filter and the score of that name).
    public var disabled: [String]
    /// Score plugin name → weight (0 switches a score off; default 1).
    public var weights: [String: Int]

    public init(disabled: [String] = [], weights: [String: Int] = [:]) {
        self.disabled = disabled
        self.weights = weights
    }

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public func validate() throws(Invalid) {
        let known = Set(PluginRegistry.filters.map(\.name) + PluginRegistry.scorers.map(\.name))
        let scores = Set(PluginRegistry.scorers.map(\.name))
        for name in disabled where !known.contains(name) {
            throw Invalid(message: "unknown plugin \"\(name)\"; known: \(known.sorted().joined(separator: ", "))")
        }
        for (name, weight) in weights {
            if !scores.contains(name) { throw Invalid(message: "unknown score plugin \"\(name)\"; known: \(scores.sorted().joined(separator: ", "))") }
            if weight < 0 || weight > 100 { throw Invalid(message: "weight of \(name) must be between 0 and 100") }
        }
    }
}

extension Scheduler {
    /// The registry's plugins as configured.
    public init(configuration: SchedulerConfiguration) throws(SchedulerConfiguration.Invalid) {
        try configuration.validate()
        let off = Set(configuration.disabled)
        self.init(filters: PluginRegistry.filters.filter { !off.contains($0.name) },
            scorers: PluginRegistry.scorers.filter { !off.contains($0.name) }
                .map { (plugin: $0, weight: configuration.weights[$0.name] ?? 1) }.filter { $0.weight > 0 })
    }
}
