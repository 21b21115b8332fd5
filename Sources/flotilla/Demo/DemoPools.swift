import FlotillaAPI
import FlotillaMEC
import Foundation
import KubeClient

/// The three strategies' game servers (manifests/mobile-game): sized together for the players, never fewer for a
/// baseline than for Flotilla — the baselines' Deployments grow whenever the FederatedHPA gives Flotilla's more, so
/// the comparison is fair on resources; they do not shrink with it, since nothing would move their players off a
/// server going away — and sampled once a second for the report's replicas-per-site plot.
struct DemoPools {
    /// The autoscaler's target (manifests/mobile-game/autoscaler.yaml).
    static let playersPerServer = 12

    let api: KubeClient
    let registry: ServiceRegistry

    /// Ready servers per site, per strategy, at one moment of play.
    struct Sample: Sendable {
        var second: Double
        var sites: [Strategy: [String: Int]]
    }

    func size(_ replicas: Int, strategies: [Strategy] = Strategy.allCases) async throws {
        for strategy in strategies {
            _ = try await api.mergePatch(Deployment.descriptor, namespace: "default", name: strategy.app,
                                         ["spec": ["replicas": .integer(Int64(replicas))]])
        }
    }

    /// Ready servers per site for each strategy, as the registry sees them.
    func readyBySite() async -> [Strategy: [String: Int]] {
        var result: [Strategy: [String: Int]] = [:]
        for strategy in Strategy.allCases {
            for instance in await registry.app(namespace: "default", name: strategy.app)?.instances ?? [] where instance.ready {
                result[strategy, default: [:]][instance.site, default: 0] += 1
            }
        }
        return result
    }

    /// Every strategy has `replicas` ready servers and no others: its Deployment's status (summed over the members)
    /// counts no pod beyond them, so a scale-down has finished and no server the registry lists is about to go.
    func ready(_ replicas: Int) async -> Bool {
        let sites = await readyBySite()
        guard Strategy.allCases.allSatisfy({ (sites[$0] ?? [:]).values.reduce(0, +) == replicas }) else { return false }
        for strategy in Strategy.allCases {
            guard let deployment = try? await api.get(Deployment.descriptor, namespace: "default", name: strategy.app),
                  deployment.value(at: ["status", "replicas"])?.int64Value == Int64(replicas),
                  deployment.value(at: ["status", "observedGeneration"])?.int64Value == deployment.generation else { return false }
        }
        return true
    }

    /// `flotilla 10 (edge-1 2, edge-3 8)`, per strategy or for one.
    func describe(_ only: Strategy? = nil) async -> String {
        let sites = await readyBySite()
        return Strategy.allCases.filter { only == nil || $0 == only }.map { strategy in
            let mine = sites[strategy] ?? [:]
            return "\(only == nil ? strategy.key + " " : "")\(mine.values.reduce(0, +)) ("
                + mine.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }.joined(separator: "; ")
    }

    /// Until cancelled, once a second: a baseline with fewer replicas than Flotilla's gets as many, and every pool
    /// is sampled (at seconds since `since`, the players' clock).
    func follow(since: Date) -> Task<[Sample], Never> {
        Task {
            var samples: [Sample] = []
            while !Task.isCancelled {
                if let flotilla = (try? await api.get(Deployment.descriptor, namespace: "default", name: Strategy.flotilla.app))?
                    .value(at: ["spec", "replicas"])?.int64Value {
                    for strategy in [Strategy.staticNearest, .cloud] {
                        let replicas = (try? await api.get(Deployment.descriptor, namespace: "default", name: strategy.app))?
                            .value(at: ["spec", "replicas"])?.int64Value
                        if (replicas ?? 0) < flotilla { try? await size(Int(flotilla), strategies: [strategy]) }
                    }
                }
                samples.append(Sample(second: Date().timeIntervalSince(since), sites: await readyBySite()))
                try? await Task.sleep(for: .seconds(1))
            }
            return samples
        }
    }
}
