import FlotillaAPI
import FlotillaStore
import Foundation

let configMaps = GroupResource(group: "", resource: "configmaps")
let deployments = GroupResource(group: "apps", resource: "deployments")
let clusters = GroupResource(group: "cluster.karmada.io", resource: "clusters")

func configMap(_ name: String, namespace: String = "default", labels: [String: String] = [:], data: String = "v") -> JSONValue {
    var meta: [String: JSONValue] = ["name": .string(name), "namespace": .string(namespace)]
    if !labels.isEmpty { meta["labels"] = .object(labels.mapValues { .string($0) }) }
    return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": .object(meta), "data": ["k": .string(data)]]
}

func deployment(_ name: String, replicas: Int64 = 1, finalizers: [String] = []) -> JSONValue {
    var meta: [String: JSONValue] = ["name": .string(name), "namespace": "default"]
    if !finalizers.isEmpty { meta["finalizers"] = .array(finalizers.map { .string($0) }) }
    return [
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": .object(meta),
        "spec": ["replicas": .integer(replicas), "selector": ["matchLabels": ["app": "x"]],
                 "template": ["metadata": ["labels": ["app": "x"]], "spec": ["containers": [["name": "c", "image": "i"]]]]],
    ]
}

/// Both backends must behave identically; every semantic test runs against each.
enum BackendKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case memory
    case sqlite
    var description: String { rawValue }

    func makeStore(clock: any TimeSource = ManualTimeSource(), historyLimit: Int = 50_000) throws -> ResourceStore {
        switch self {
        case .memory:
            return .memory(clock: clock, historyLimit: historyLimit)
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return try .sqlite(path: dir.appendingPathComponent("store.sqlite").path, clock: clock, historyLimit: historyLimit)
        }
    }
}

/// Collects the next `count` events of a watch, failing after a timeout instead of hanging.
func collect(_ stream: WatchStream, count: Int, timeout: Duration = .seconds(5)) async throws -> [WatchEvent] {
    try await withThrowingTaskGroup(of: [WatchEvent]?.self) { group in
        group.addTask {
            var events: [WatchEvent] = []
            for await event in stream {
                events.append(event)
                if events.count == count { break }
            }
            return events
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next()!
        group.cancelAll()
        guard let events = first else { throw WatchTimeout(expected: count) }
        return events
    }
}

struct WatchTimeout: Error { var expected: Int }
