import ArgumentParser
import FlotillaAPI
import FlotillaStore
import Foundation
import Synchronization

/// `flotilla bench store`: the foundation issue's store targets, measured through the `Store` protocol.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Creates/s and updates/s (sequential), list with a label selector, and watch fan-out latency."
    )

    @Option(help: "Backend: sqlite (durable, the default store) or memory.")
    var backend: Backend = .sqlite

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
    }

    func makeStore() throws -> (ResourceStore, URL?) {
        switch backend {
        case .memory: return (.memory(), nil)
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return (try .sqlite(path: dir.appendingPathComponent("bench.sqlite").path), dir)
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
        let (store, dir) = try makeStore()
        defer { if let dir { try? FileManager.default.removeItem(at: dir) } }
        let clock = ContinuousClock()
        var results: [BenchResult] = []

        // Sequential creates, each acknowledged (durable for sqlite) before the next starts.
        var created: [JSONValue] = []
        created.reserveCapacity(writes)
        let createTime = try await clock.measure {
            for i in 0..<writes { created.append(try await store.create(resource, Self.configMap("w-\(i)", index: i), options: .none)) }
        }
        let createRate = Double(writes) / seconds(createTime)
        results.append(BenchResult(name: "creates/s (sequential, \(writes))", value: format(createRate), target: ">= 5,000", met: createRate >= 5_000))

        let updateTime = try await clock.measure {
            for var object in created {
                object["data"] = ["payload": "changed"]
                _ = try await store.update(resource, object, options: .none)
            }
        }
        let updateRate = Double(writes) / seconds(updateTime)
        results.append(BenchResult(name: "updates/s (sequential, CAS)", value: format(updateRate), target: ">= 5,000", met: updateRate >= 5_000))

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
        printResults("flotilla bench store --backend \(backend.rawValue)", results)
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
