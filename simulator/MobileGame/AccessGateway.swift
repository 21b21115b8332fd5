import NIOCore
import NIOPosix
import Synchronization

/// An operator's gateway on the data path (UE → operator gateway → edge site), for UDP game traffic: it forwards each
/// player datagram to wherever `route` says that session goes now, after the uplink half of the round trip the access
/// network model gives for that UE and site, and each answer back after the downlink half. While the UE is in a
/// handover interruption (`route` answers `.hold`) it holds the traffic and delivers it, in order, once the UE is
/// attached again; a UE without coverage (`.unreachable`) loses it. So the round trip a player measures is the one the
/// model produces, jitter and handovers included, not one computed after the fact.
public final class AccessGateway: Sendable {
    public enum Route: Sendable {
        /// Send to this game server; `rttMs` is the round trip the access network gives the UE to that site now.
        case deliver(SocketAddress, rttMs: Double)
        case hold
        case unreachable
    }

    /// The port players send to.
    public let port: Int
    let playerChannel: any Channel
    let upstreamChannel: any Channel
    let state: GatewayState
    let tasks: Mutex<[Task<Void, Never>]>
    public static let maxHold: Duration = .seconds(2)

    final class GatewayState: Sendable {
        struct Values {
            var players: [UInt32: SocketAddress] = [:]
            var downlinkMs: [UInt32: Double] = [:]
            var forwarded = 0
            var held = 0
            var dropped = 0
        }
        let values = Mutex(Values())
    }

    public struct Counters: Sendable {
        public var forwarded: Int
        public var held: Int
        public var dropped: Int
    }

    public var counters: Counters {
        state.values.withLock { Counters(forwarded: $0.forwarded, held: $0.held, dropped: $0.dropped) }
    }

    public static func start(host: String = "127.0.0.1", port: Int = 0, route: @escaping @Sendable (UInt32) async -> Route) async throws -> AccessGateway {
        let (fromPlayers, playersIn) = AsyncStream<AddressedEnvelope<ByteBuffer>>.makeStream(bufferingPolicy: .bufferingNewest(65_536))
        let (fromServers, serversIn) = AsyncStream<AddressedEnvelope<ByteBuffer>>.makeStream(bufferingPolicy: .bufferingNewest(65_536))
        func bind(_ port: Int, _ sink: AsyncStream<AddressedEnvelope<ByteBuffer>>.Continuation) async throws -> any Channel {
            try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(DatagramSink(sink)) }
                }
                .bind(host: host, port: port).get()
        }
        let playerChannel = try await bind(port, playersIn)
        let upstreamChannel = try await bind(0, serversIn)
        let gateway = AccessGateway(port: playerChannel.localAddress?.port ?? 0, playerChannel: playerChannel, upstreamChannel: upstreamChannel)
        gateway.run(fromPlayers: fromPlayers, fromServers: fromServers, route: route)
        return gateway
    }

    init(port: Int, playerChannel: any Channel, upstreamChannel: any Channel) {
        self.port = port
        self.playerChannel = playerChannel
        self.upstreamChannel = upstreamChannel
        self.state = GatewayState()
        self.tasks = Mutex([])
    }

    /// The session a game datagram belongs to (bytes 3…6 of both kinds).
    static func session(of data: ByteBuffer) -> UInt32? {
        data.readableBytes >= 7 ? data.getInteger(at: data.readerIndex + 3, as: UInt32.self) : nil
    }

    func run(fromPlayers: AsyncStream<AddressedEnvelope<ByteBuffer>>, fromServers: AsyncStream<AddressedEnvelope<ByteBuffer>>,
             route: @escaping @Sendable (UInt32) async -> Route) {
        let state = self.state, upstream = upstreamChannel, players = playerChannel
        let uplink = Task {
            for await envelope in fromPlayers {
                guard let session = Self.session(of: envelope.data) else { continue }
                state.values.withLock { $0.players[session] = envelope.remoteAddress }
                switch await route(session) {
                case .deliver(let target, let rtt):
                    state.values.withLock { $0.downlinkMs[session] = rtt / 2; $0.forwarded += 1 }
                    Self.send(envelope.data, to: target, on: upstream, afterMs: rtt / 2)
                case .unreachable:
                    state.values.withLock { $0.dropped += 1 }
                case .hold:
                    state.values.withLock { $0.held += 1 }
                    Task {
                        let deadline = ContinuousClock.now + Self.maxHold
                        while ContinuousClock.now < deadline {
                            try? await Task.sleep(for: .milliseconds(5))
                            if case .deliver(let target, let rtt) = await route(session) {
                                state.values.withLock { $0.downlinkMs[session] = rtt / 2; $0.forwarded += 1 }
                                Self.send(envelope.data, to: target, on: upstream, afterMs: rtt / 2)
                                return
                            }
                        }
                        state.values.withLock { $0.dropped += 1 }
                    }
                }
            }
        }
        let downlink = Task {
            for await envelope in fromServers {
                guard let session = Self.session(of: envelope.data),
                      let (player, delay) = state.values.withLock({ values in values.players[session].map { ($0, values.downlinkMs[session] ?? 0) } })
                else { continue }
                Self.send(envelope.data, to: player, on: players, afterMs: delay)
            }
        }
        tasks.withLock { $0 = [uplink, downlink] }
    }

    static func send(_ data: ByteBuffer, to address: SocketAddress, on channel: any Channel, afterMs: Double) {
        let envelope = AddressedEnvelope(remoteAddress: address, data: data)
        let delay = TimeAmount.microseconds(Int64(max(0, afterMs) * 1000))
        channel.eventLoop.execute {
            channel.eventLoop.scheduleTask(in: delay) { channel.writeAndFlush(envelope, promise: nil) }
        }
    }

    public func stop() async {
        try? await playerChannel.close()
        try? await upstreamChannel.close()
        for task in tasks.withLock({ $0 }) { task.cancel() }
    }
}

/// Hands every datagram a channel receives to an AsyncStream.
final class DatagramSink: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let sink: AsyncStream<AddressedEnvelope<ByteBuffer>>.Continuation

    init(_ sink: AsyncStream<AddressedEnvelope<ByteBuffer>>.Continuation) { self.sink = sink }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        sink.yield(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        sink.finish()
        context.fireChannelInactive()
    }
}
