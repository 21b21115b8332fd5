import FlotillaAPI
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import FlotillaGateway

/// TCP through the data gateway: a UPF's connection (PROXY v2 header first) is spliced to the rule's instance; an open
/// connection stays there when the rule moves, a new one follows the rule; under BUFFER a new connection waits, its
/// first bytes kept, until the rule forwards; DROP and garbage close it.
@Suite struct TCPPathTests {
    static let flow = FlowKey(srcAddress: IPv4.parse("10.0.0.7")!, srcPort: 40001, dstAddress: IPv4.parse("198.51.100.10")!, dstPort: 7000, proto: 6)

    /// A TCP instance: answers each read with its name and what it read.
    static func instance(_ name: String) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Echo(name: name))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    final class Echo: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let name: String
        init(name: String) { self.name = name }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data))
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "\(name):\(text);")), promise: nil)
        }
    }

    final class Collect: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let text = Mutex("")
        let closed = Atomic<Bool>(false)
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let chunk = String(buffer: unwrapInboundIn(data))
            text.withLock { $0 += chunk }
        }
        func channelInactive(context: ChannelHandlerContext) { closed.store(true, ordering: .relaxed) }
        var all: String { text.withLock { $0 } }
    }

    /// A UPF's connection for the UE's flow: the PROXY header, then `first`.
    static func connect(to gateway: EdgeDataGateway, first: String) async throws -> (any Channel, Collect) {
        let collect = Collect()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collect) } }
            .connect(host: "127.0.0.1", port: gateway.tcpPort!).get()
        var header = ByteBuffer()
        ProxyProtocol.encode(flow, into: &header)
        header.writeString(first)
        try await channel.writeAndFlush(header)
        return (channel, collect)
    }

    static func rule(to instance: any Channel, _ action: RuleAction? = nil) -> CompiledRule {
        let filter = TrafficFilter(srcAddress: ["10.0.0.7"], dstAddress: ["198.51.100.10"], dstPort: ["7000"], protocol: ["TCP"])
        return CompiledRule(key: "default/s1", priority: 10, filters: [CompiledFilter(filter)],
                            action: action ?? .forward(host: "127.0.0.1", port: instance.localAddress!.port!, site: "site-a", decapsulated: true))
    }

    @Test func proxyHeadersRoundTripAndGarbageIsRefused() {
        var buffer = ByteBuffer()
        ProxyProtocol.encode(Self.flow, into: &buffer)
        #expect(ProxyProtocol.parse(buffer) == .flow(Self.flow, headerBytes: 28))
        #expect(ProxyProtocol.parse(buffer.getSlice(at: 0, length: 20)!) == .incomplete)
        #expect(ProxyProtocol.parse(ByteBuffer(string: "GET / HTTP/1.1\r\n")) == .invalid)
        var udp = buffer
        udp.setInteger(UInt8(0x12), at: 13)  // UDP over IPv4
        #expect(ProxyProtocol.parse(udp) == .invalid)
    }

    @Test func connectionsAreSplicedPinnedAndHeldUnderBuffer() async throws {
        let a = try await Self.instance("a"), b = try await Self.instance("b")
        // A hold bound far beyond any step here (a loaded CI machine is slow between them).
        let gateway = try await EdgeDataGateway.start(.init(site: "site-a", limits: .init(maxHold: .seconds(120)), tcpPort: 0))
        gateway.apply(Self.rule(to: a))
        let (first, firstReplies) = try await Self.connect(to: gateway, first: "hello")
        try await waitUntil { firstReplies.all == "a:hello;" }

        // The session moves: the open connection stays with a, a new one goes to b.
        gateway.apply(Self.rule(to: b))
        try await first.writeAndFlush(ByteBuffer(string: "again"))
        try await waitUntil { firstReplies.all == "a:hello;a:again;" }
        let (second, secondReplies) = try await Self.connect(to: gateway, first: "hi")
        try await waitUntil { secondReplies.all == "b:hi;" }

        // Under BUFFER a new connection waits with its first bytes, and goes on when the rule forwards.
        gateway.apply(Self.rule(to: b, .buffer))
        let (third, thirdReplies) = try await Self.connect(to: gateway, first: "wait")
        try await Task.sleep(for: .milliseconds(50))
        #expect(thirdReplies.all.isEmpty)
        gateway.apply(Self.rule(to: a))
        try await waitUntil { thirdReplies.all == "a:wait;" }

        // DROP closes a new connection; so does a connection that does not start with a PROXY header.
        gateway.apply(Self.rule(to: a, .drop))
        let (_, dropped) = try await Self.connect(to: gateway, first: "x")
        try await waitUntil { dropped.closed.load(ordering: .relaxed) }
        let garbage = Collect()
        let raw = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(garbage) } }
            .connect(host: "127.0.0.1", port: gateway.tcpPort!).get()
        try await raw.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
        try await waitUntil { garbage.closed.load(ordering: .relaxed) }
        #expect(gateway.counters.dropped == 1)

        for channel in [first, second, third, a, b] { try? await channel.close() }
        await gateway.stop()
    }

    func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
