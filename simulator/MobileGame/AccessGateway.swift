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
///
/// Players reach it over UDP (`port`), or, when they run in the same process, over the radio leg without a socket
/// (`PlayerFleet.add(session:gateway:)`): the leg is the model's delay either way, and from the gateway on every hop
/// is a real datagram. In-process players spare the kernel two of a round trip's hops.
public final class AccessGateway: Sendable {
    public enum Route: Sendable {
        /// Send to this game server; `rttMs` is the round trip the access network gives the UE to that site now.
        case deliver(SocketAddress, rttMs: Double)
        /// Tunnel to this edge data gateway as the UE's `flow`; `rttMs` is the round trip to that gateway's site.
        case tunnel(SocketAddress, rttMs: Double, flow: FlowKey, teid: UInt32)
        case hold
        case unreachable
    }

    /// Where a session's player is: behind a UDP address, or a fleet in this process.
    enum PlayerEnd: Sendable {
        case socket(SocketAddress)
        case local(PlayerFleet)
    }

    /// Where players send to.
    public let address: SocketAddress
    public var port: Int { address.port ?? 0 }
    /// Where the gateway's sockets and delays run (both sockets on one loop: a delayed send never wakes another thread).
    public var eventLoop: any EventLoop { playerChannel.eventLoop }
    let playerChannel: any Channel
    let upstreamChannel: any Channel
    let uplink: Uplink
    public static let maxHold: Duration = .seconds(2)

    final class GatewayState: Sendable {
        struct Values {
            var players: [UInt32: PlayerEnd] = [:]
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
        uplink.state.values.withLock { Counters(forwarded: $0.forwarded, held: $0.heldCount, dropped: $0.dropped) }
    }

    public static func start(host: String = "127.0.0.1", port: Int = 0, route: @escaping @Sendable (UInt32) -> Route) async throws -> AccessGateway {
        let state = GatewayState(route: route)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let upstream = try await DatagramBootstrap(group: loop).readingInBatches().bind(host: host, port: 0).get()
        let uplink = Uplink(state: state, upstream: DelayedSender(channel: upstream))
        let players = try await DatagramBootstrap(group: loop)
            .readingInBatches()
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UplinkHandler(uplink: uplink)) }
            }
            .bind(host: host, port: port).get()
        let toSockets = DelayedSender(channel: players)
        let toFleets = DelayedBatches<(PlayerFleet, ByteBuffer)>(on: loop) { batch in
            for (fleet, data) in batch { fleet.receive(data) }
        }
        try await upstream.pipeline.addHandler(DownlinkHandler(state: state, toSockets: toSockets, toFleets: toFleets)).get()
        // Held traffic is retried every 5 ms.
        loop.scheduleRepeatedTask(initialDelay: .milliseconds(5), delay: .milliseconds(5)) { task in
            guard players.isActive else { return task.cancel() }
            uplink.releaseHeld()
        }
        return AccessGateway(address: try players.localAddress ?? SocketAddress(ipAddress: host, port: port), playerChannel: players,
                             upstreamChannel: upstream, uplink: uplink)
    }

    init(address: SocketAddress, playerChannel: any Channel, upstreamChannel: any Channel, uplink: Uplink) {
        self.address = address
        self.playerChannel = playerChannel
        self.upstreamChannel = upstreamChannel
        self.uplink = uplink
    }

    /// The session a game datagram belongs to (bytes 3…6 of both kinds).
    static func session(of data: ByteBuffer) -> UInt32? {
        data.readableBytes >= 7 ? data.getInteger(at: data.readerIndex + 3, as: UInt32.self) : nil
    }

    /// Datagrams of an in-process fleet's players, over the radio leg: taken in on the gateway's event loop, as if
    /// read from its socket; the answers go back to `fleet.receive`.
    func fromUEs(_ datagrams: [ByteBuffer], of fleet: PlayerFleet) {
        let uplink = self.uplink
        let takeIn: @Sendable () -> Void = { for data in datagrams { uplink.receive(data, from: .local(fleet)) } }
        if eventLoop.inEventLoop { takeIn() } else { eventLoop.execute(takeIn) }
    }

    public func stop() async {
        try? await playerChannel.close()
        try? await upstreamChannel.close()
    }
}

/// Players' datagrams: routed, delayed by the uplink half, held, or dropped.
struct Uplink: Sendable {
    let state: AccessGateway.GatewayState
    let upstream: DelayedSender

    func receive(_ data: ByteBuffer, from player: AccessGateway.PlayerEnd) {
        guard let session = AccessGateway.session(of: data) else { return }
        let alreadyHeld = state.values.withLock { values in
            values.players[session] = player
            return values.held[session] != nil
        }
        // Behind held traffic, a datagram waits its turn (order is kept).
        if alreadyHeld {
            state.values.withLock { $0.held[session]?.append((data, .now)); $0.heldCount += 1 }
            return
        }
        let route = state.route(session)
        if forward(data, session: session, route: route) { return }
        switch route {
        case .hold:
            state.values.withLock { $0.held[session, default: []].append((data, .now)); $0.heldCount += 1 }
        default:
            state.values.withLock { $0.dropped += 1 }
        }
    }

    /// Sends a datagram on a route that delivers (false: it does not).
    func forward(_ data: ByteBuffer, session: UInt32, route: AccessGateway.Route) -> Bool {
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
    func releaseHeld() {
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
            for data in release { _ = forward(data, session: session, route: route) }
        }
    }
}

/// Players' datagrams from the gateway's UDP port.
final class UplinkHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let uplink: Uplink

    init(uplink: Uplink) { self.uplink = uplink }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        uplink.receive(envelope.data, from: .socket(envelope.remoteAddress))
    }
}

/// Game servers' answers: back to the player after the downlink half.
final class DownlinkHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let state: AccessGateway.GatewayState
    let toSockets: DelayedSender
    let toFleets: DelayedBatches<(PlayerFleet, ByteBuffer)>

    init(state: AccessGateway.GatewayState, toSockets: DelayedSender, toFleets: DelayedBatches<(PlayerFleet, ByteBuffer)>) {
        self.state = state
        self.toSockets = toSockets
        self.toFleets = toFleets
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var envelope = unwrapInboundIn(data)
        // A data gateway's answer comes tunnelled: the game datagram is inside.
        if let packet = GTPU.decapsulate(envelope.data) { envelope.data = packet.payload }
        guard let session = AccessGateway.session(of: envelope.data),
              let (player, delay) = state.values.withLock({ values in values.players[session].map { ($0, values.downlinkMs[session] ?? 0) } })
        else { return }
        switch player {
        case .socket(let address): toSockets.send(envelope.data, to: address, afterMs: delay)
        case .local(let fleet): toFleets.add((fleet, envelope.data), afterMs: delay)
        }
    }
}
