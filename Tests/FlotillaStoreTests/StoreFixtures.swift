import FlotillaAPI
import FlotillaEtcd
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Synchronization

let configMaps = GroupResource(group: "", resource: "configmaps")
let deployments = GroupResource(group: "apps", resource: "deployments")
let clusters = GroupResource(group: "cluster.karmada.io", resource: "clusters")

func configMap(_ name: String, namespace: String = "default", labels: [String: String] = [:], data: String = "v") -> JSONValue {
    var meta: JSONObject = ["name": .string(name), "namespace": .string(namespace)]
    if !labels.isEmpty { meta["labels"] = .object(JSONObject(labels.mapValues { .string($0) })) }
    return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": .object(meta), "data": ["k": .string(data)]]
}

func deployment(_ name: String, replicas: Int64 = 1, finalizers: [String] = []) -> JSONValue {
    var meta: JSONObject = ["name": .string(name), "namespace": "default"]
    if !finalizers.isEmpty { meta["finalizers"] = .array(finalizers.map { .string($0) }) }
    return [
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": .object(meta),
        "spec": ["replicas": .integer(replicas), "selector": ["matchLabels": ["app": "x"]],
                 "template": ["metadata": ["labels": ["app": "x"]], "spec": ["containers": [["name": "c", "image": "i"]]]]],
    ]
}

/// Every backend must behave identically; every semantic test runs against each. The etcd case starts a member of
/// its own (a real `etcd` on loopback), so revisions count from etcd's first (1) and nothing else writes to it;
/// tests compare revisions to the store's revision at their start.
enum BackendKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case memory
    case sqlite
    case etcd
    var description: String { rawValue }

    func makeStore(clock: any TimeSource = ManualTimeSource(), historyLimit: Int = 50_000) async throws -> ResourceStore {
        switch self {
        case .memory:
            return .memory(clock: clock, historyLimit: historyLimit)
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let store = try ResourceStore.sqlite(path: dir.appendingPathComponent("store.sqlite").path, clock: clock, historyLimit: historyLimit)
            Self.sqliteDirectories.withLock { $0[ObjectIdentifier(store)] = dir }
            return store
        case .etcd:
            await EtcdCluster.slots.acquire()
            let cluster: EtcdCluster
            do { cluster = try await EtcdCluster.start() } catch {
                await EtcdCluster.slots.release()
                throw error
            }
            do {
                let backend = try await EtcdBackend.connect(try EtcdEndpoints(servers: cluster.servers), cacheCapacity: historyLimit)
                let store = ResourceStore(backend: backend, clock: clock)
                Self.etcdFixtures.withLock { $0[ObjectIdentifier(store)] = (backend, cluster) }
                return store
            } catch {
                cluster.stop()
                await EtcdCluster.slots.release()
                throw error
            }
        }
    }

    private static let etcdFixtures = Mutex<[ObjectIdentifier: (EtcdBackend, EtcdCluster)]>([:])
    private static let sqliteDirectories = Mutex<[ObjectIdentifier: URL]>([:])

    /// Stops what `makeStore` started for `store` (its etcd member) and removes its SQLite directory; nothing for
    /// the memory backend.
    static func release(_ store: ResourceStore) {
        if let dir = sqliteDirectories.withLock({ $0.removeValue(forKey: ObjectIdentifier(store)) }) {
            try? FileManager.default.removeItem(at: dir)
        }
        guard let (backend, cluster) = etcdFixtures.withLock({ $0.removeValue(forKey: ObjectIdentifier(store)) }) else { return }
        // The member goes now, before the test process can exit; the client winds down on its own.
        cluster.stop()
        Task {
            await EtcdCluster.slots.release()
            await backend.close()
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
