import ArgumentParser
import FlotillaAPI
import FlotillaEtcd
import FlotillaStore
import Foundation
import Synchronization

/// `flotilla bench store`: the foundation issue's store targets, measured through the `Store` protocol.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Creates/s and updates/s, list with a label selector, and watch fan-out latency; on etcd also raw etcd puts/s."
    )

    @Option(help: "Backend: sqlite (durable, the default store), memory, or etcd (with --etcd-servers).")
    var backend: Backend = .sqlite

    @Option(help: "etcd members for --backend etcd (http://IP:PORT, comma-separated); the run uses a key prefix of its own.")
    var etcdServers: String?

    @Option(help: "Writers creating and updating at once (each waits for its write before the next).")
    var concurrency: Int = 1

    @Option(help: "Objects created and then updated, one at a time.")
    var writes: Int = 20_000

    @Option(help: "Objects in the listed collection.")
    var listObjects: Int = 10_000

    @Option(help: "Concurrent watchers for the fan-out measure.")
    var watchers: Int = 100

    @Option(help: "Writes observed by the watchers.")
    var watchWrites: Int = 1_000

    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case sqlite
        case memory
        case etcd
    }

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        if backend == .etcd, etcdServers == nil { throw ValidationError("--backend etcd needs --etcd-servers") }
        if backend != .etcd, etcdServers != nil { throw ValidationError("--etcd-servers goes with --backend etcd") }
    }

    func makeStore() async throws -> (ResourceStore, URL?, EtcdBackend?) {
        switch backend {
        case .memory: return (.memory(), nil, nil)
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return (try .sqlite(path: dir.appendingPathComponent("bench.sqlite").path), dir, nil)
        case .etcd:
            let endpoints = try EtcdEndpoints(servers: etcdServers ?? "", prefix: "/flotilla-bench-\(UUID().uuidString.prefix(8))")
            let etcd = try await EtcdBackend.connect(endpoints)
            return (ResourceStore(backend: etcd), nil, etcd)
        }
    }

    /// Runs `body(i)` for every i in 0..<count, `concurrency` at a time (writer w takes w, w + concurrency, ...).
    func inParallel<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
        try await withThrowingTaskGroup(of: [(Int, T)].self) { group in
            for writer in 0..<concurrency {
                group.addTask {
                    var done: [(Int, T)] = []
                    for i in stride(from: writer, to: count, by: concurrency) { done.append((i, try await body(i))) }
                    return done
                }
            }
            var all: [(Int, T)] = []
            for try await part in group { all += part }
            return all.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    static func configMap(_ name: String, index: Int) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": .string(name), "namespace": "bench",
                         "labels": ["app": "bench", "shard": .string(index % 2 == 0 ? "even" : "odd")]],
            "data": ["payload": .string(String(repeating: "x", count: 256))],
        ]
    }

    func run() async throws {
        let resource = GroupResource(group: "", resource: "configmaps")
        let (store, dir, etcd) = try await makeStore()
        defer { if let dir { try? FileManager.default.removeItem(at: dir) } }
        let clock = ContinuousClock()
        var results: [BenchResult] = []
        let how = concurrency == 1 ? "sequential" : "\(concurrency) writers"

        // Creates, each acknowledged (durable for sqlite and etcd) before its writer's next starts.
        var created: [JSONValue] = []
        let createTime = try await clock.measure {
            created = try await inParallel(writes) { i in try await store.create(resource, Self.configMap("w-\(i)", index: i), options: .none) }
        }
        let createRate = Double(writes) / seconds(createTime)
        results.append(BenchResult(name: "creates/s (\(how), \(writes))", value: format(createRate), target: ">= 5,000", met: createRate >= 5_000))

        let objects = created
        let updateTime = try await clock.measure {
            _ = try await inParallel(writes) { i in
                var object = objects[i]
                object["data"] = ["payload": "changed"]
                return try await store.update(resource, object, options: .none)
            }
        }
        let updateRate = Double(writes) / seconds(updateTime)
        results.append(BenchResult(name: "updates/s (\(how), CAS)", value: format(updateRate), target: ">= 5,000", met: updateRate >= 5_000))

        if let etcd {
            // The baseline, in the same run, through the same client and connections, at the same concurrency: etcd
            // puts of the same bytes with no Kubernetes semantics and no compare.
            let payload = Self.configMap("raw", index: 0).serialized()
            let rawTime = try await clock.measure {
                _ = try await inParallel(writes) { i in try await etcd.connection.put(key: "\(etcd.connection.endpoints.prefix)-raw/\(i)", value: payload) }
            }
            let rawRate = Double(writes) / seconds(rawTime)
            results.append(BenchResult(name: "raw etcd puts/s (\(how), same client)", value: format(rawRate), target: "-", met: nil))
            results.append(BenchResult(name: "creates / raw puts", value: format(createRate / rawRate, 2), target: ">= 0.50", met: createRate / rawRate >= 0.5))
            results.append(BenchResult(name: "CAS updates / raw puts", value: format(updateRate / rawRate, 2), target: ">= 0.50", met: updateRate / rawRate >= 0.5))
        }

        // A separate collection of `listObjects`, half of them matching the selector.
        let listed = GroupResource(group: "", resource: "listbench")
        for i in 0..<listObjects { _ = try await store.create(listed, Self.configMap("l-\(i)", index: i), options: .none) }
        let selector = try Selector(parsing: "app=bench,shard=even")
        var listSamples = LatencySamples()
        var matched = 0
        for _ in 0..<30 {
            let start = clock.now
            matched = try await store.list(listed, options: ListOptions(filter: ObjectFilter(labelSelector: selector))).items.count
            listSamples.add(clock.now - start)
        }
        let listP50 = listSamples.percentile(50)
        results.append(BenchResult(name: "list \(listObjects) w/ selector (\(matched) match), p50 ms", value: format(listP50, 2),
            target: "<= 50 ms", met: listP50 <= 50))
        results.append(BenchResult(name: "list \(listObjects) w/ selector, max of 30, ms", value: format(listSamples.percentile(100), 2),
            target: "-", met: nil))

        let watch = try await measureWatchFanOut(store: store)
        results.append(BenchResult(name: "watch: \(watchers) watchers, p50 ms after write", value: format(watch.percentile(50), 3), target: "-", met: nil))
        results.append(BenchResult(name: "watch: \(watchers) watchers, p99 ms after write", value: format(watch.percentile(99), 3),
            target: "<= 10 ms", met: watch.percentile(99) <= 10))
        results.append(BenchResult(name: "resident memory, MB", value: format(residentMemoryMB()), target: "-", met: nil))
        printResults("flotilla bench store --backend \(backend.rawValue) --concurrency \(concurrency)", results)
        await etcd?.close()
    }

    /// Every watcher records, per event, the time from just before the write call to its own receipt
    /// (so the figure includes the commit itself).
    func measureWatchFanOut(store: ResourceStore) async throws -> LatencySamples {
        let resource = GroupResource(group: "", resource: "watchbench")
        let clock = ContinuousClock()
        let startTimes = Locked<[Int64: ContinuousClock.Instant]>([:])
        let base = await store.currentRevision()
        let streams = try await (0..<watchers).asyncMap { _ in
            try await store.watch(resource, options: WatchOptions(resourceVersion: base))
        }
        let samples = Locked(LatencySamples())
        let expected = watchWrites
        try await withThrowingTaskGroup(of: Void.self) { group in
            for stream in streams {
                group.addTask {
                    var seen = 0
                    for await event in stream {
                        let now = clock.now
                        if let start = startTimes.withLock({ $0[event.revision] }) {
                            samples.withLock { $0.add(now - start) }
                        }
                        seen += 1
                        if seen == expected { break }
                    }
                }
            }
            for i in 0..<watchWrites {
                // Revisions are assigned in order; this write will get the next one.
                let revision = base + Int64(i) + 1
                startTimes.withLock { $0[revision] = clock.now }
                _ = try await store.create(resource, Self.configMap("x-\(i)", index: i), options: .none)
                // A realistic write rate (one per 200 µs), not a burst that only measures queueing.
                try await Task.sleep(for: .microseconds(200))
            }
            try await group.waitForAll()
        }
        return samples.withLock { $0 }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

/// A lock-protected value that closures of a task group can share (a `Mutex` itself cannot be captured).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout sending Value) -> sending R) -> R { mutex.withLock(body) }
}
