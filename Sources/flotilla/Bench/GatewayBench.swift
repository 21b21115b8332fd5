import ArgumentParser
import FlotillaAPI
import FlotillaGateway
import FlotillaMEC
import FlotillaServer
import FlotillaStore
import Foundation
import KubeClient
import NIOCore
import NIOPosix
import Synchronization

/// `flotilla bench gateway`: the edge data gateway's forwarding rate and added latency on loopback, the time from a
/// move's resume to the first datagram on the new path (rules written over HTTP to a real API server and watched back,
/// as `flotilla gateway` does), and the players' interruption in the demo with the gateway and with redirects, one
/// after the other in one run.
struct GatewayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Data gateway: datagrams/s, added latency p50/p99, rule-switch p99, and the demo's interruption gateway vs redirect."
    )

    @Option(help: "Seconds of forwarding load.")
    var seconds: Double = 5

    @Option(help: "Flows in the forwarding load.")
    var flows: Int = 64

    @Option(help: "Round trips for the added latency (each path).")
    var pings: Int = 20_000

    @Option(help: "Rule switches to time.")
    var switches: Int = 200

    @Option(help: "Players in each demo run (0 skips the demo comparison).")
    var demoPlayers: Int = 40

    @Option(help: "Seconds of each demo run.")
    var demoDuration: Double = 40

    @Option(help: "Seed of each demo run.")
    var demoSeed: UInt64 = 5

    func progress(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }

    func run() async throws {
        var results: [BenchResult] = []
        results += try await forwarding()
        results += try await latency()
        results += try await ruleSwitch()
        if demoPlayers > 0 { results += try await demo() }
        results.append(BenchResult(name: "RSS MB", value: format(residentMemoryMB(), 0), target: "-", met: nil))
        printResults("flotilla bench gateway", results)
    }

    static let vip = IPv4.parse("198.51.100.10")!

    static func flow(_ n: Int) -> FlowKey {
        FlowKey(srcAddress: IPv4.parse("10.0.0.1")! + UInt32(n), srcPort: 40000, dstAddress: vip, dstPort: 7000)
    }

    static func rule(_ n: Int, to port: Int, action: String = "FORWARD_DECAPSULATED") -> CompiledRule {
        var filter = TrafficFilter(srcAddress: [IPv4.format(flow(n).srcAddress)], dstAddress: ["198.51.100.10"], dstPort: ["7000"], protocol: ["UDP"])
        filter.srcPort = nil
        let rule = TrafficRule(metadata: ObjectMeta(name: "s\(n)", namespace: "default"),
            spec: TrafficRuleSpec(trafficRuleId: "s\(n)", priority: 10, trafficFilter: [filter], action: action,
                                  dstInterface: InterfaceDescriptor(dstIpAddress: "127.0.0.1", dstPort: port), site: "edge-1"))
        return try! CompiledRule(rule)!
    }

    /// A UDP echo: answers every datagram with itself; `arrivals` records when each came (for the switch timing).
    final class Echo: Sendable {
        let channel: any Channel
        let arrivals = Mutex<[ContinuousClock.Instant]>([])
        let recording = Atomic<Bool>(false)
        var port: Int { channel.localAddress?.port ?? 0 }

        init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
            let holder = Mutex<Echo?>(nil)
            channel = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(DatagramHandler { envelope in
                            if let echo = holder.withLock({ $0 }), echo.recording.load(ordering: .relaxed) {
                                echo.arrivals.withLock { $0.append(.now) }
                            }
                            channel.writeAndFlush(envelope, promise: nil)
                        })
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            holder.withLock { $0 = self }
        }
    }

    /// A client socket that hands every datagram it receives to `receive`.
    static func client(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                       _ receive: @escaping @Sendable (AddressedEnvelope<ByteBuffer>) -> Void) async throws -> any Channel {
        try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(DatagramHandler(receive)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// `flows` flows, each keeping 8 datagrams in flight through the gateway to an echo, for `seconds`.
    func forwarding() async throws -> [BenchResult] {
        progress("forwarding: \(flows) flows × 8 in flight for \(format(seconds)) s")
        let echo = try await Echo()
        let gateway = try await EdgeDataGateway.start(.init(site: "edge-1"))
        for n in 0..<flows { gateway.apply(Self.rule(n, to: echo.port)) }
        let answered = Atomic<Int>(0)
        let running = Atomic<Bool>(true)
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: gateway.port)
        let holder = Mutex<(any Channel)?>(nil)
        let client = try await Self.client { envelope in
            guard let packet = GTPU.decapsulate(envelope.data) else { return }
            answered.add(1, ordering: .relaxed)
            // Each answer sends the flow's next datagram, so the load keeps its window.
            guard running.load(ordering: .relaxed), let channel = holder.withLock({ $0 }) else { return }
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: GTPU.encapsulate(teid: 1, flow: packet.flow.reversed,
                                                                                                   payload: packet.payload)), promise: nil)
        }
        holder.withLock { $0 = client }
        let payload = ByteBuffer(repeating: 7, count: 48)
        let cpuBefore = processCPUSeconds()
        let start = ContinuousClock.now
        for n in 0..<flows {
            for _ in 0..<8 {
                client.write(AddressedEnvelope(remoteAddress: target, data: GTPU.encapsulate(teid: 1, flow: Self.flow(n), payload: payload)), promise: nil)
            }
        }
        client.flush()
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        let count = answered.load(ordering: .relaxed)
        let elapsed = (ContinuousClock.now - start).inSeconds
        let cpu = processCPUSeconds() - cpuBefore
        running.store(false, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(100))
        let counters = gateway.counters
        await gateway.stop()
        try? await client.close()
        try? await echo.channel.close()
        // Each round trip is two datagrams through the gateway: one up to the echo, its answer back.
        let datagrams = Double(count * 2)
        return [
            BenchResult(name: "gateway datagrams/s (\(flows) flows, up + down, 48 B payload)", value: format(datagrams / elapsed, 0), target: "-", met: nil),
            BenchResult(name: "gateway datagrams per CPU-second (whole process: UPF client, gateway and echo)",
                        value: format(datagrams / max(cpu, 0.001), 0), target: "-", met: nil),
            BenchResult(name: "datagrams dropped by the gateway", value: "\(counters.dropped)", target: "0", met: counters.dropped == 0),
        ]
    }

    /// One datagram at a time, in turns: straight to the echo, then through the gateway, so both paths see the same
    /// moments of the machine; the difference is what the gateway adds. The UPF (client), the gateway and the instance
    /// (echo) each have an event-loop thread of their own, as three processes would: the direct path wakes the echo
    /// and the client once each, the gateway path also wakes the gateway twice.
    func latency() async throws -> [BenchResult] {
        progress("added latency: \(pings) round trips each way, in turns")
        let groups = (0..<3).map { _ in MultiThreadedEventLoopGroup(numberOfThreads: 1) }
        let echo = try await Echo(group: groups[0])
        let gateway = try await EdgeDataGateway.start(.init(site: "edge-1"), group: groups[1])
        gateway.apply(Self.rule(0, to: echo.port))
        let (answers, continuation) = AsyncStream<Void>.makeStream()
        let client = try await Self.client(group: groups[2]) { _ in continuation.yield() }
        var iterator = answers.makeAsyncIterator()
        let payload = ByteBuffer(repeating: 7, count: 48)
        let tunnelled = GTPU.encapsulate(teid: 1, flow: Self.flow(0), payload: payload)
        let echoAddress = try SocketAddress(ipAddress: "127.0.0.1", port: echo.port)
        let gatewayAddress = try SocketAddress(ipAddress: "127.0.0.1", port: gateway.port)
        func roundTrip(to address: SocketAddress, _ data: ByteBuffer) async -> Duration {
            let sent = ContinuousClock.now
            client.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: data), promise: nil)
            _ = await iterator.next()
            return ContinuousClock.now - sent
        }
        var direct = LatencySamples(), via = LatencySamples()
        for i in 0..<(pings + 500) {
            let straight = await roundTrip(to: echoAddress, payload)
            let through = await roundTrip(to: gatewayAddress, tunnelled)
            if i >= 500 {  // the first 500 warm up
                direct.add(straight)
                via.add(through)
            }
        }
        await gateway.stop()
        try? await client.close()
        try? await echo.channel.close()
        for group in groups { try? await group.shutdownGracefully() }
        let p50 = via.percentile(50) - direct.percentile(50), p99 = via.percentile(99) - direct.percentile(99)
        return [
            BenchResult(name: "round trip direct to the echo p50 / p99 ms", value: "\(format(direct.percentile(50), 3)) / \(format(direct.percentile(99), 3))",
                        target: "-", met: nil),
            BenchResult(name: "round trip through the gateway p50 / p99 ms", value: "\(format(via.percentile(50), 3)) / \(format(via.percentile(99), 3))",
                        target: "-", met: nil),
            BenchResult(name: "added by the gateway p50 / p99 ms (same run)", value: "\(format(p50, 3)) / \(format(p99, 3))", target: "p99 <= 0.2",
                        met: p99 <= 0.2),
        ]
    }

    /// The rules as the service writes them: over HTTP to an API server, watched back by the gateway's watcher. A flow
    /// streams a datagram every 0.5 ms; each round sets BUFFER, then "resumes" (t0) by pointing the rule at the other
    /// echo; the switch time is t0 to the first datagram at that echo.
    func ruleSwitch() async throws -> [BenchResult] {
        progress("rule switch: \(switches) moves, rules over HTTP")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-bench-gateway-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try DataDirectory.prepare(dir)
        var server = APIServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0, tls: false), data: data, store: ResourceStore.memory())
        try await server.bootstrap()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = try server.makeApplication { continuation.yield($0) }
        let serving = Task { try await app.run() }
        defer { serving.cancel() }
        var portIterator = ports.makeAsyncIterator()
        let port = await portIterator.next() ?? 0
        let api = try KubeClient(credentials: ClusterCredentials(server: "http://127.0.0.1:\(port)", token: data.adminToken))
        let echoes = [try await Echo(), try await Echo()]
        let gateway = try await EdgeDataGateway.start(.init(site: "edge-1"))
        let watcher = TrafficRuleWatcher(client: api, gateways: [gateway])
        let watching = Task { try? await watcher.run() }
        var rule = TrafficRule(metadata: ObjectMeta(name: "s0", namespace: "default"), spec: TrafficRuleSpec(
            trafficRuleId: "s0", priority: 10, trafficFilter: [TrafficFilter(srcAddress: ["10.0.0.1"], dstAddress: ["198.51.100.10"])],
            action: "FORWARD_DECAPSULATED", dstInterface: InterfaceDescriptor(dstIpAddress: "127.0.0.1", dstPort: echoes[0].port), site: "edge-1"))
        rule.metadata.labels = [:]
        _ = try await api.create(TrafficRule.descriptor, try rule.json())
        while gateway.rules.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        let client = try await Self.client { _ in }
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: gateway.port)
        let streaming = Task {
            let clock = ContinuousClock()
            var next = clock.now
            while !Task.isCancelled {
                client.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: GTPU.encapsulate(teid: 1, flow: Self.flow(0),
                                                                                                     payload: ByteBuffer(repeating: 1, count: 48))), promise: nil)
                next = next.advanced(by: .microseconds(500))
                try? await clock.sleep(until: next)
            }
        }
        var samples = LatencySamples()
        var lost = 0
        // The mobility service's own steps (`TrafficSteering`): hold, wait for the gateway to confirm it, freeze, and
        // at the resume point the rule at the target.
        let steering = TrafficSteering(client: api)
        var unconfirmed = 0
        for round in 0..<switches {
            let to = echoes[(round + 1) % 2]
            guard let hold = try await steering.hold(namespace: "default", session: "s0") else { throw ValidationError("the bench's rule is gone") }
            if await !steering.awaitApplied(namespace: "default", session: "s0", hold) { unconfirmed += 1 }
            try await Task.sleep(for: .milliseconds(3))  // the freeze: a few datagrams are held
            to.arrivals.withLock { $0 = [] }
            to.recording.store(true, ordering: .relaxed)
            let resumed = ContinuousClock.now
            try await steering.forward(namespace: "default", session: "s0", site: "edge-1", endpoint: "127.0.0.1:\(to.port)")
            let deadline = resumed + .seconds(2)
            while to.arrivals.withLock({ $0.isEmpty }), ContinuousClock.now < deadline { try await Task.sleep(for: .microseconds(200)) }
            to.recording.store(false, ordering: .relaxed)
            if let first = to.arrivals.withLock({ $0.first }) { samples.add(first - resumed) } else { lost += 1 }
        }
        streaming.cancel()
        await streaming.value
        let dropped = gateway.counters.dropped
        watching.cancel()
        await watching.value
        await gateway.stop()
        try? await client.close()
        for echo in echoes { try? await echo.channel.close() }
        await api.shutdown()
        return [
            BenchResult(name: "rule switch: resume → first datagram on the new path p50 / p99 ms (HTTP write + watch)",
                        value: "\(format(samples.percentile(50), 2)) / \(format(samples.percentile(99), 2))", target: "p99 <= 5",
                        met: samples.percentile(99) <= 5),
            BenchResult(name: "switches whose first datagram never came; datagrams dropped", value: "\(lost); \(dropped)", target: "0; 0",
                        met: lost == 0 && dropped == 0),
            BenchResult(name: "holds the gateway did not confirm within 100 ms", value: "\(unconfirmed)", target: "0", met: unconfirmed == 0),
        ]
    }

    /// The demo twice, gateway then redirect, same players and seed, each in its own process.
    func demo() async throws -> [BenchResult] {
        var results: [BenchResult] = []
        for mode in DataPathMode.allCases {
            progress("demo: \(demoPlayers) players, \(format(demoDuration)) s, --data-path \(mode.rawValue)")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            process.arguments = ["demo", "--players", "\(demoPlayers)", "--duration", "\(demoDuration)", "--seed", "\(demoSeed)",
                                 "--data-path", mode.rawValue]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard let row = output.split(separator: "\n").first(where: { $0.hasPrefix("| Flotilla") }) else {
                results.append(BenchResult(name: "demo --data-path \(mode.rawValue)", value: "failed (exit \(process.terminationStatus))", target: "-", met: false))
                continue
            }
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            // strategy, players, p50, p95, p99, within, migrations, downtime, interruption, lost
            let p99 = Double(cells[8].split(separator: "/").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? .nan
            results.append(BenchResult(name: "demo \(demoPlayers) players, --data-path \(mode.rawValue): interruption p50 / p99 ms "
                                       + "(within 30 ms; migrations; lost)", value: "\(cells[8]) (\(cells[5]); \(cells[6]); \(cells[9]))",
                                       target: mode == .gateway ? "p99 <= 50" : "-", met: mode == .gateway ? p99 <= 50 : nil))
            // The same measure where nothing moves, in the same run: the floor the interruption is read against.
            if let quiet = output.split(separator: "\n").first(where: { $0.hasPrefix("Without a move") }),
               let range = quiet.range(of: #"p50 [0-9.]+ / p99 [0-9.]+"#, options: .regularExpression) {
                results.append(BenchResult(name: "demo \(demoPlayers) players, --data-path \(mode.rawValue): silence with no move p50 / p99 ms",
                                           value: quiet[range].replacingOccurrences(of: "p50 ", with: "").replacingOccurrences(of: "p99 ", with: ""),
                                           target: "-", met: nil))
            }
        }
        return results
    }

}
