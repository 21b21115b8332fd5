import ArgumentParser
import FlotillaAPI
import FlotillaControllers
import FlotillaInterpreter
import FlotillaStore
import Foundation

/// `flotilla bench interpret`: the resource interpreter on the paths the service runs.
/// 1. One AggregateStatus call of a typical script (manifests/interpreter's GameServerSet customization: sums two
///    fields and lists the clusters) through `ResourceInterpreter`, the binding controller's path: a pooled sandboxed
///    state, the script loaded into a fresh environment, the template and status items converted to Lua and back.
///    The built-in Deployment aggregation is timed in the same run for comparison.
/// 2. The resource detector binding Deployments over SQLite, with and without a customization scripting their
///    `replicaResource` (the detector runs GetReplicas, with `kube.accuratePodRequirements`, for every template),
///    taken in turns in the same run.
struct InterpretBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpret",
        abstract: "Resource interpreter: AggregateStatus latency and detector bindings/s with and without a Lua customization."
    )

    @Option(help: "AggregateStatus calls timed.")
    var calls: Int = 20_000

    @Option(help: "Clusters reporting status in each AggregateStatus call.")
    var clusters: Int = 10

    @Option(help: "Deployments the detector binds in each detector run.")
    var templates: Int = 2_000

    static let customization = """
    apiVersion: config.karmada.io/v1alpha1
    kind: ResourceInterpreterCustomization
    metadata: {name: gameserverset}
    spec:
      target: {apiVersion: games.flotilla.io/v1alpha1, kind: GameServerSet}
      customizations:
        statusAggregation:
          luaScript: |
            function AggregateStatus(desiredObj, statusItems)
              local ready, players, clusters = 0, 0, {}
              for i = 1, #statusItems do
                local status = statusItems[i].status or {}
                ready = ready + (status.readyServers or 0)
                players = players + (status.players or 0)
                table.insert(clusters, statusItems[i].clusterName)
              end
              desiredObj.status = { readyServers = ready, players = players, clusters = clusters }
              return desiredObj
            end
    """

    static let deploymentCustomization = """
    apiVersion: config.karmada.io/v1alpha1
    kind: ResourceInterpreterCustomization
    metadata: {name: deployments}
    spec:
      target: {apiVersion: apps/v1, kind: Deployment}
      customizations:
        replicaResource:
          luaScript: |
            local kube = require("kube")
            function GetReplicas(obj)
              return obj.spec.replicas or 1, kube.accuratePodRequirements(obj.spec.template)
            end
    """

    func run() async throws {
        let interpreter = ResourceInterpreter(customizations: [try ResourceInterpreterCustomization(json: try YAMLCodec.decode(Self.customization))])
        let set: JSONValue = ["apiVersion": "games.flotilla.io/v1alpha1", "kind": "GameServerSet",
                              "metadata": ["name": "arena", "namespace": "games", "generation": 3],
                              "spec": ["replicas": 8, "template": ["spec": ["containers": [["name": "server", "image": "game:1"]]]]]]
        let items = (0..<clusters).map { AggregatedStatusItem(clusterName: "edge-\($0)", status: ["readyServers": 2, "players": .integer(Int64($0 * 7))],
                                                              applied: true, health: "Healthy") }
        guard try interpreter.aggregateStatus(set, items: items)?["status"]?["readyServers"] == .integer(Int64(2 * clusters)) else {
            throw BenchFailure("the AggregateStatus script gave a wrong result")
        }
        let scripted = try Self.time(calls) { _ = try interpreter.aggregateStatus(set, items: items) }
        var deployment = try JSONValue.parse(CodecBench.sampleDeployment())
        deployment["status"] = nil
        let deploymentItems = (0..<clusters).map { AggregatedStatusItem(clusterName: "edge-\($0)",
            status: ["replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 2, "observedGeneration": 3], applied: true) }
        let builtin = try Self.time(calls) { _ = try interpreter.aggregateStatus(deployment, items: deploymentItems) }
        let deployments = ResourceInterpreter(customizations: [try ResourceInterpreterCustomization(json: try YAMLCodec.decode(Self.deploymentCustomization))])
        let getReplicas = try Self.time(calls / 4) { _ = try deployments.replicas(of: deployment) }
        let builtinReplicas = try Self.time(calls / 4) { _ = try interpreter.replicas(of: deployment) }

        // The detector, in turns: plain, customized, three times each; the best of each.
        var plain: [Double] = [], customized: [Double] = []
        for round in 0..<6 {
            let rate = try await Self.detectorRate(templates: templates, customized: round % 2 == 1)
            if round % 2 == 1 { customized.append(rate) } else { plain.append(rate) }
        }
        let plainRate = plain.max() ?? 0, customizedRate = customized.max() ?? 0
        let ratio = plainRate > 0 ? customizedRate / plainRate : 0
        printResults("flotilla bench interpret (\(clusters) clusters per AggregateStatus; \(templates) Deployments per detector run; \(ProcessInfo.processInfo.activeProcessorCount) cores)", [
            BenchResult(name: "AggregateStatus, Lua script: p50 µs", value: format(scripted.p50 * 1e6, 1), target: "< 1,000", met: scripted.p50 < 1e-3),
            BenchResult(name: "AggregateStatus, Lua script: p99 µs", value: format(scripted.p99 * 1e6, 1), target: "-", met: nil),
            BenchResult(name: "AggregateStatus, Lua script: calls/s (one caller)", value: format(scripted.rate), target: "-", met: nil),
            BenchResult(name: "AggregateStatus, built-in Deployment: p50 µs", value: format(builtin.p50 * 1e6, 1), target: "-", met: nil),
            BenchResult(name: "GetReplicas on the 5 KB Deployment, Lua script: p50 µs", value: format(getReplicas.p50 * 1e6, 1), target: "-", met: nil),
            BenchResult(name: "replicas of the 5 KB Deployment, built-in: p50 µs", value: format(builtinReplicas.p50 * 1e6, 1), target: "-", met: nil),
            BenchResult(name: "detector bindings/s over SQLite, built-in interpreter", value: format(plainRate), target: "-", met: nil),
            BenchResult(name: "detector bindings/s over SQLite, Lua GetReplicas", value: format(customizedRate),
                        target: ">= 80 % of built-in", met: ratio >= 0.8),
            BenchResult(name: "  customized / built-in", value: format(ratio * 100, 1) + " %", target: "-", met: nil),
        ])
    }

    static func time(_ count: Int, _ body: () throws -> Void) throws -> (p50: Double, p99: Double, rate: Double) {
        for _ in 0..<min(count, 200) { try body() }
        var samples = LatencySamples()
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<count {
            let begun = clock.now
            try body()
            samples.add(clock.now - begun)
        }
        let total = seconds(clock.now - start)
        return (samples.percentile(50) / 1e3, samples.percentile(99) / 1e3, Double(count) / total)
    }

    /// Stores `templates` Deployments and a policy claiming them in a new SQLite store, then runs the detector until
    /// every one has its binding; bindings per second from the detector's start.
    static func detectorRate(templates: Int, customized: Bool) async throws -> Double {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-bench-interpret-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let store = try ResourceStore.sqlite(path: root.appendingPathComponent("flotilla.sqlite").path)
        let client = StoreObjectClient(store: store)
        _ = try? await client.create(Namespace.descriptor, Namespace(name: "default").json())
        if customized {
            _ = try await client.create(ResourceInterpreterCustomization.descriptor, try YAMLCodec.decode(deploymentCustomization))
        }
        var template = try JSONValue.parse(CodecBench.sampleDeployment())
        template["status"] = nil
        template.setMetadata("namespace", "default")
        for key in ["uid", "resourceVersion", "generation", "creationTimestamp"] { template.setMetadata(key, nil) }
        for i in 0..<templates {
            var deployment = template
            deployment.setMetadata("name", .string("app-\(i)"))
            _ = try await client.create(Deployment.descriptor, deployment)
        }
        let policy: JSONValue = ["apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
                                 "metadata": ["name": "all", "namespace": "default"],
                                 "spec": ["resourceSelectors": [["apiVersion": "apps/v1", "kind": "Deployment"]], 
                                          "placement": ["clusterAffinity": ["clusterNames": ["edge-0"]]]]]
        _ = try await client.create(PropagationPolicy.descriptor, policy)
        let from = try await client.list(ResourceBinding.descriptor, namespace: "default", options: .everything).resourceVersion
        let changes = try await client.watch(ResourceBinding.descriptor, namespace: "default", options: .everything, resourceVersion: from)
        let bound = Task { () -> ContinuousClock.Instant? in
            var names = Set<String>()
            for try await event in changes {
                names.insert(event.object.name ?? "")
                if names.count == templates { return ContinuousClock.now }
            }
            return nil
        }
        let loop = Detector(client: client).loop()
        let start = ContinuousClock.now
        let running = Task { await loop.run() }
        let timeout = Task {
            try await Task.sleep(for: .seconds(300))
            bound.cancel()
        }
        let finished = try await bound.value
        timeout.cancel()
        running.cancel()
        await running.value
        guard let finished else { throw BenchFailure("timed out waiting for \(templates) bindings") }
        let bindings = try await client.list(ResourceBinding.descriptor, namespace: "default", options: .everything).items
        let expectedReplicas = bindings.allSatisfy { $0["spec"]?["replicas"]?.int64Value == 6 && $0["spec"]?["replicaRequirements"] != nil }
        guard expectedReplicas else { throw BenchFailure("a binding lacks the template's replicas or requirements") }
        return Double(templates) / seconds(finished - start)
    }
}
