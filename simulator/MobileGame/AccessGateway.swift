import FlotillaGateway
import NIOCore
import NIOPosix
import Synchronization

/// An operator's gateway on the data path (UE → operator gateway → edge site), for UDP game traffic: it forwards each
/// player datagram to wherever `route` says that session goes now, after the uplink half of the round trip the access
/// network model gives for that UE and site, and each answer back after the downlink half. While the UE is in a
/// handover interruption (`route` answers `.hold`) it holds the traffic and delivers it, in order, once the UE is
/// attached again (for at most `maxHold`); a UE without coverage (`.unreachable`) loses it. So the round trip a player
/// measures is the one the model produces, jitter and handovers included, not one computed after the fact.
/// Everything runs on the event loops: `route` must answer at once (read a table, never wait).
///
/// With a data gateway on the path (`.tunnel`), the operator's gateway plays the UPF: it sends the UE's datagram as a
/// GTP-U G-PDU (the UE's address and the app's public address inside) to the site's edge data gateway, which decides
/// which instance gets it, and takes the tunnelled answers back.
public final class AccessGateway: Sendable {
    public enum Route: Sendable {
        /// Send to this game server; `rttMs` is the round trip the access network gives the UE to that site now.
        case deliver(SocketAddress, rttMs: Double)
        /// Tunnel to this edge data gateway as the UE's `flow`; `rttMs` is the round trip to that gateway's site.
        case tunnel(SocketAddress, rttMs: Double, flow: FlowKey, teid: UInt32)
        case hold
        case unreachable
    }

    /// The port players send to.
    public let port: Int
    let playerChannel: any Channel
    let upstreamChannel: any Channel
    let state: GatewayState
    public static let maxHold: Duration = .seconds(2)

    final class GatewayState: Sendable {
        struct Values {
            var players: [UInt32: SocketAddress] = [:]
            var downlinkMs: [UInt32: Double] = [:]
            var held: [UInt32: [(data: ByteBuffer, since: ContinuousClock.Instant)]] = [:]
            var forwarded = 0
            var heldCount = 0
            var dropped = 0
        }
        let values = Mutex(Values())
        let route: @Sendable (UInt32) -> Route
        init(route: @escaping @Sendable (UInt32) -> Route) { self.route = route }
    }

    public struct Counters: Sendable {
        public var forwarded: Int
        public var held: Int
        public var dropped: Int
    }

    public var counters: Counters {
        state.values.withLock { Counters(forwarded: $0.forwarded, held: $0.heldCount, dropped: $0.dropped) }
    }

    public static func start(host: String = "127.0.0.1", port: Int = 0, route: @escaping @Sendable (UInt32) -> Route) async throws -> AccessGateway {
        let state = GatewayState(route: route)
        let group = MultiThreadedEventLoopGroup.singleton
        let upstream = try await DatagramBootstrap(group: group).readingInBatches().bind(host: host, port: 0).get()
        let toServers = DelayedSender(channel: upstream)
        let players = try await DatagramBootstrap(group: group)
            .readingInBatches()
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UplinkHandler(state: state, upstream: toServers))
                }
            }
            .bind(host: host, port: port).get()
        try await upstream.pipeline.addHandler(DownlinkHandler(state: state, players: DelayedSender(channel: players))).get()
        // Held traffic is retried every 5 ms on the uplink's event loop.
        players.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(5), delay: .milliseconds(5)) { task in
            guard players.isActive else { return task.cancel() }
            UplinkHandler.releaseHeld(state: state, upstream: toServers)
        }
        return AccessGateway(port: players.localAddress?.port ?? 0, playerChannel: players, upstreamChannel: upstream, state: state)
    }

    init(port: Int, playerChannel: any Channel, upstreamChannel: any Channel, state: GatewayState) {
        self.port = port
        self.playerChannel = playerChannel
        self.upstreamChannel = upstreamChannel
        self.state = state
    }

    /// The session a game datagram belongs to (bytes 3…6 of both kinds).
    static func session(of data: ByteBuffer) -> UInt32? {
        data.readableBytes >= 7 ? data.getInteger(at: data.readerIndex + 3, as: UInt32.self) : nil
    }


    public func stop() async {
        try? await playerChannel.close()
        try? await upstreamChannel.close()
    }
}

/// Players' datagrams: routed, delayed by the uplink half, held, or dropped.
final class UplinkHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let state: AccessGateway.GatewayState
    let upstream: DelayedSender

    init(state: AccessGateway.GatewayState, upstream: DelayedSender) {
        self.state = state
        self.upstream = upstream
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let session = AccessGateway.session(of: envelope.data) else { return }
        let alreadyHeld = state.values.withLock { values in
            values.players[session] = envelope.remoteAddress
            return values.held[session] != nil
        }
        // Behind held traffic, a datagram waits its turn (order is kept).
        if alreadyHeld {
            state.values.withLock { $0.held[session]?.append((envelope.data, .now)); $0.heldCount += 1 }
            return
        }
        let route = state.route(session)
        if Self.forward(envelope.data, session: session, route: route, state: state, upstream: upstream) { return }
        switch route {
        case .hold:
            state.values.withLock { $0.held[session, default: []].append((envelope.data, .now)); $0.heldCount += 1 }
        default:
            state.values.withLock { $0.dropped += 1 }
        }
    }

    /// Sends a datagram on a route that delivers (false: it does not).
    static func forward(_ data: ByteBuffer, session: UInt32, route: AccessGateway.Route, state: AccessGateway.GatewayState,
                        upstream: DelayedSender) -> Bool {
        switch route {
        case .deliver(let target, let rtt):
            state.values.withLock { $0.downlinkMs[session] = rtt / 2; $0.forwarded += 1 }
            upstream.send(data, to: target, afterMs: rtt / 2)
        case .tunnel(let gateway, let rtt, let flow, let teid):
            state.values.withLock { $0.downlinkMs[session] = rtt / 2; $0.forwarded += 1 }
            upstream.send(GTPU.encapsulate(teid: teid, flow: flow, payload: data), to: gateway, afterMs: rtt / 2)
        case .hold, .unreachable:
            return false
        }
        return true
    }

    /// Sends what was held for sessions whose UE is attached again; drops what waited longer than `maxHold`.
    static func releaseHeld(state: AccessGateway.GatewayState, upstream: DelayedSender) {
        let sessions = state.values.withLock { Array($0.held.keys) }
        for session in sessions {
            let route = state.route(session)
            let now = ContinuousClock.now
            var release: [ByteBuffer] = []
            state.values.withLock { values in
                guard var queue = values.held[session] else { return }
                if case .deliver = route {} else if case .tunnel = route {} else {
                    let before = queue.count
                    queue.removeAll { now - $0.since > AccessGateway.maxHold }
                    values.dropped += before - queue.count
                    values.held[session] = queue.isEmpty ? nil : queue
                    return
                }
                values.held[session] = nil
                release = queue.map(\.data)
            }
            for data in release { _ = forward(data, session: session, route: route, state: state, upstream: upstream) }
        }
    }
}

/// Game servers' answers: back to the player after the downlink half.
final class DownlinkHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let state: AccessGateway.GatewayState
    let players: DelayedSender

    init(state: AccessGateway.GatewayState, players: DelayedSender) {
        self.state = state
        self.players = players
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var envelope = unwrapInboundIn(data)
        // A data gateway's answer comes tunnelled: the game datagram is inside.
        if let packet = GTPU.decapsulate(envelope.data) { envelope.data = packet.payload }
        guard let session = AccessGateway.session(of: envelope.data),
              let (player, delay) = state.values.withLock({ values in values.players[session].map { ($0, values.downlinkMs[session] ?? 0) } })
        else { return }
        players.send(envelope.data, to: player, afterMs: delay)
    }
}
