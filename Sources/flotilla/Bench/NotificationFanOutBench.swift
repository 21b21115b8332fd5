import AccessNetworkSim
import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// Fan-out of engine events to subscribers, over the wire, two ways:
/// - MEC 013 zonal-traffic subscriptions (one per zone) with callbacks POSTed to a loopback receiver;
/// - `/flotilla/v1/events` NDJSON streams (16 readers, each taking every event) served by the simulator's API.
/// Each rate runs from publishing a batch of real engine events to the last notification received.
enum NotificationFanOutBench {
    struct Result {
        var subscribers: Int
        var callbackRate: Double
        var streams: Int
        var streamRate: Double
    }

    static func run(network: sending AccessNetwork, notifications: Int) async throws -> Result {
        // Real events from the engine, enough for the batch.
        var events: [NetworkEvent] = []
        while events.count < notifications / 2, network.now < 600 {
            network.step()
            events += network.drainEvents()
        }
        let zones = network.topology.zoneNames.count
        let client = HTTPNotificationSender.makeClient()
        let runner = SimulationRunner(network: network, hub: NotificationHub(sender: HTTPNotificationSender(client: client)), paused: true)
        let hub = runner.hub
        let receiver = try await Receiver.start()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = AccessNetworkServer(runner: runner) { continuation.yield($0) }.makeApplication()
        let server = Task { try await app.runService() }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        let batch = events
        let publish: @Sendable () async -> Void = {
            await runner.withNetwork { network in hub.publish(batch, network: network, epoch: 0) }
        }

        // Callbacks.
        for zone in 0..<zones {
            hub.add(Subscription(id: hub.newID(), kind: .zonalTraffic, zone: zone, callbackURL: "\(receiver.url)/\(zone)"))
        }
        var start = ContinuousClock.now
        await publish()
        let ids = hub.subscriptions().map(\.id)
        var settled = -1
        while true {
            let delivered = ids.compactMap { hub.delivery($0) }.reduce(0) { $0 + $1.delivered }
            if delivered == settled { break }
            settled = delivered
            try await Task.sleep(for: .milliseconds(50))
        }
        let callbackElapsed = ContinuousClock.now - start - .milliseconds(50)
        let callbackRate = Double(receiver.count) / seconds(callbackElapsed)
        for id in ids { hub.remove(id) }

        // Streams.
        let readers = 16
        let progress = StreamProgress()
        start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<readers {
                group.addTask {
                    let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/flotilla/v1/events"),
                        timeout: .seconds(300))
                    progress.opened.add(1, ordering: .relaxed)
                    for try await chunk in response.body {
                        let count = chunk.readableBytesView.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
                        let total = progress.lines.add(count, ordering: .relaxed).newValue
                        if total >= progress.expected.load(ordering: .relaxed), progress.expected.load(ordering: .relaxed) > 0 { break }
                    }
                }
            }
            while progress.opened.load(ordering: .relaxed) < readers { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(100))
            start = ContinuousClock.now
            await publish()
            // Every stream gets every notification the batch makes: count them once from the first reader's share.
            try await Task.sleep(for: .milliseconds(20))
            var previous = -1
            while progress.lines.load(ordering: .relaxed) != previous {
                previous = progress.lines.load(ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(50))
            }
            progress.expected.store(previous, ordering: .relaxed)
            hub.closeAllStreams()
            try await group.waitForAll()
        }
        let streamElapsed = ContinuousClock.now - start - .milliseconds(70)
        let streamRate = Double(progress.lines.load(ordering: .relaxed)) / seconds(streamElapsed)

        server.cancel()
        _ = await server.result
        receiver.stop()
        try await client.shutdown()
        return Result(subscribers: zones, callbackRate: callbackRate, streams: readers, streamRate: streamRate)
    }

    final class StreamProgress: Sendable {
        let opened = Atomic<Int>(0)
        let lines = Atomic<Int>(0)
        let expected = Atomic<Int>(0)
    }

    /// A loopback HTTP server that counts the POSTs it receives.
    final class Receiver: Sendable {
        let counter: Counter
        let port: Int
        let task: Task<Void, any Error>

        final class Counter: Sendable {
            let value = Atomic<Int>(0)
        }

        var url: String { "http://127.0.0.1:\(port)/cb" }
        var count: Int { counter.value.load(ordering: .relaxed) }

        init(counter: Counter, port: Int, task: Task<Void, any Error>) {
            self.counter = counter
            self.port = port
            self.task = task
        }

        static func start() async throws -> Receiver {
            let counter = Counter()
            let router = Router()
            router.post("/cb/:zone") { request, _ -> HTTPResponse.Status in
                _ = try await request.body.collect(upTo: 64 * 1024)
                counter.value.add(1, ordering: .relaxed)
                return .noContent
            }
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
            let task = Task { try await app.runService() }
            var iterator = ports.makeAsyncIterator()
            return Receiver(counter: counter, port: await iterator.next() ?? 0, task: task)
        }

        func stop() { task.cancel() }
    }
}
