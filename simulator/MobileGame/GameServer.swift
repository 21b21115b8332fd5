import FlotillaAPI
import FlotillaAppKit
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import FlotillaGateway
import NIOCore
import NIOPosix
import Synchronization

/// The mobile game's authoritative server (`flotilla/mobile-game`): one port number for both protocols —
/// UDP for play (`GameProtocol`), TCP/HTTP for joining, the state-transfer protocol and metrics:
///
///     POST /sessions/{n}                 join as player n (n: a UInt32), state created here
///     /mec/state/v1/sessions/{n}…       state transfer (FlotillaAppKit)
///     GET  /metrics                      Prometheus text: players, datagrams, inputs applied, ticks
///     GET  /healthz
///
/// Inputs are acknowledged once they are through the server's queue (`ServerLoad`: the fuller the server, the longer
/// they wait) and applied by a 30 Hz tick.
public final class GameServer: Sendable {
    public let port: Int
    public let sessions: SessionTable<PlayerState>
    /// Checkpoints of protected sessions to their standby copies, and frozen sessions' leases.
    public let keeper: SessionKeeper<PlayerState>
    let counters: CountersBox
    let ticking = Mutex<LoopClock?>(nil)
    let udp: Mutex<(any Channel)?> = Mutex(nil)
    let http: AppServer.Running

    struct Counters {
        var datagrams = 0
        var applied = 0
        var ticks = 0
        var malformed = 0
        /// Players ÷ capacity at the last tick (0 without a capacity): what inputs queue behind.
        var utilization = 0.0
        /// The inputs' queueing delay, summed (ms), for the mean on /metrics.
        var queuedMs = 0.0
    }

    public static let tickInterval: Duration = .milliseconds(33)

    /// Starts both listeners on loopback (`port` 0: a free one).
    public static func start(host: String = "127.0.0.1", port: Int = 0, capacity: Int = .max, inventorySize: Int = 24,
                             name: String = "flotilla-mobile-game") async throws -> GameServer {
        let sessions = SessionTable<PlayerState>(capacity: capacity)
        let counters = CountersBox()
        let router = Router()
        router.get("/healthz") { _, _ in "ok" }
        router.post("/sessions/:id") { _, context in
            let id = try context.parameters.require("id")
            guard UInt32(id) != nil else { return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "player ids are numbers"))) }
            do throws(StateTransferError) {
                try sessions.open(id, state: PlayerState(inventorySize: inventorySize))
                return Response(status: .created)
            } catch {
                return Response(status: HTTPResponse.Status(code: error.status), body: .init(byteBuffer: ByteBuffer(string: error.message)))
            }
        }
        StateTransferRoutes.add(to: router, table: sessions)
        // A session as the game sees it, for the demo's accounting of promotions.
        router.get("/sessions/:id") { _, context in
            let id = try context.parameters.require("id")
            guard case .active(let state) = sessions.access(id) else { return Response(status: .notFound) }
            let text = #"{"received":\#(state.received),"applied":\#(state.applied),"lostInputs":\#(state.lostInputs)}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let keeperBox = KeeperBox()
        router.get("/metrics") { _, _ in
            let c = counters.read()
            let checkpoints = keeperBox.keeper?.sent ?? SessionKeeper<PlayerState>.Counters()
            let players = sessions.activeCount
            let text = """
                # TYPE flotilla_game_players gauge
                flotilla_game_players \(players)
                # TYPE flotilla_game_utilization gauge
                flotilla_game_utilization \(c.utilization)
                # TYPE flotilla_game_queue_delay_ms_total counter
                flotilla_game_queue_delay_ms_total \(c.queuedMs)
                # TYPE flotilla_game_datagrams_total counter
                flotilla_game_datagrams_total \(c.datagrams)
                # TYPE flotilla_game_inputs_applied_total counter
                flotilla_game_inputs_applied_total \(c.applied)
                # TYPE flotilla_game_ticks_total counter
                flotilla_game_ticks_total \(c.ticks)
                # TYPE flotilla_game_malformed_datagrams_total counter
                flotilla_game_malformed_datagrams_total \(c.malformed)
                # TYPE flotilla_game_checkpoints_total counter
                flotilla_game_checkpoints_total \(checkpoints.checkpoints)
                # TYPE flotilla_game_checkpoint_bytes_total counter
                flotilla_game_checkpoint_bytes_total \(checkpoints.bytes)
                # TYPE flotilla_game_checkpoint_failures_total counter
                flotilla_game_checkpoint_failures_total \(checkpoints.failures)
                # TYPE flotilla_game_sessions_fenced_total counter
                flotilla_game_sessions_fenced_total \(checkpoints.fenced)

                """
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let http = try await AppServer.start(router: router, host: host, port: port, name: name)
        let server = GameServer(port: http.port, sessions: sessions, counters: counters, http: http)
        keeperBox.keeper = server.keeper
        do {
            try await server.startUDP(host: host)
        } catch {
            await http.stop()
            throw GameError.didNotStart("UDP port \(http.port): \(error)")
        }
        server.startTicking()
        server.keeper.start()
        return server
    }

    init(port: Int, sessions: SessionTable<PlayerState>, counters: CountersBox, http: AppServer.Running) {
        self.port = port
        self.sessions = sessions
        self.keeper = SessionKeeper(table: sessions)
        self.counters = counters
        self.http = http
    }

    func startUDP(host: String) async throws {
        let sessions = self.sessions, counters = self.counters
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .readingInBatches()
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(GameDatagramHandler(sessions: sessions, counters: counters))
                }
            }
            .bind(host: host, port: port).get()
        udp.withLock { $0 = channel }
    }

    /// The 30 Hz tick, on the UDP socket's event loop (where the inputs arrive): no other thread wakes for it.
    func startTicking() {
        guard let channel = udp.withLock({ $0 }) else { return }
        let sessions = self.sessions
        let box = counters
        let clock = LoopClock(on: channel.eventLoop, every: Self.tickInterval) { _ in
            var applied = 0, players = 0
            sessions.updateActive { _, state in
                applied += state.pending.count
                players += 1
                state.tick()
            }
            let utilization = sessions.capacity == .max ? 0 : Double(players) / Double(max(1, sessions.capacity))
            box.update { $0.ticks += 1; $0.applied += applied; $0.utilization = utilization }
        }
        ticking.withLock { $0 = clock }
        clock.start()
    }

    public func stop() async {
        await keeper.stop()
        await ticking.withLock { $0 }?.stop()
        if let channel = udp.withLock({ $0 }) { try? await channel.close() }
        await http.stop()
    }
}

/// The replicator, set once the server exists (the metrics route is made before it).
final class KeeperBox: Sendable {
    private let value = Mutex<SessionKeeper<PlayerState>?>(nil)
    var keeper: SessionKeeper<PlayerState>? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

/// The counters behind a reference, so that escaping closures can share them (a Mutex cannot be captured).
final class CountersBox: Sendable {
    let mutex = Mutex(GameServer.Counters())
    func read() -> GameServer.Counters { mutex.withLock { $0 } }
    func update(_ body: (inout GameServer.Counters) -> Void) { mutex.withLock { body(&$0) } }
}

public enum GameError: Error, CustomStringConvertible {
    case didNotStart(String)
    public var description: String {
        switch self {
        case .didNotStart(let what): "the game server did not start: \(what)"
        }
    }
}

/// Game datagrams, answered on the event loop: inputs taken into the session's state, an acknowledgement back once
/// the input is through the server's queue (`ServerLoad`).
final class GameDatagramHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let sessions: SessionTable<PlayerState>
    let counters: CountersBox
    let sender = Mutex<DelayedSender?>(nil)
    let random = Mutex<UInt64>(0x9E37_79B9_7F4A_7C15)

    init(sessions: SessionTable<PlayerState>, counters: CountersBox) {
        self.sessions = sessions
        self.counters = counters
    }

    /// Two uniform draws in [0, 1).
    func draws() -> (Double, Double) {
        random.withLock { state in
            func next() -> Double {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
            }
            return (next(), next())
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let datagram = GameProtocol.decodeInput(envelope.data) else {
            counters.update { $0.malformed += 1 }
            return
        }
        let id = String(datagram.session)
        // The player resends every input it has not seen acknowledged, so a datagram that starts past what this copy
        // received means another copy acknowledged the inputs in between: this one was promoted from a standby copy up
        // to one checkpoint behind, or an old primary answered before it was fenced. The player no longer holds those
        // inputs: continue from what it sends (the inputs in between are the state lost, counted per session). Not
        // only at the first datagram after a promotion: that one may be an older datagram, overtaken on the way.
        let result: (received: UInt32, applied: UInt32, score: UInt32)? = sessions.update(id) { state in
            state.resynchronize(to: datagram.inputs)
            state.receive(datagram.inputs)
            return (state.received, state.applied, state.score)
        }
        var status = GameProtocol.SessionStatus.playing
        if result == nil {
            switch sessions.access(id) {
            case .frozen: status = .frozen
            case .released: status = .released
            default: status = .unknown
            }
        }
        let ack = GameProtocol.Ack(session: datagram.session, sentAtNs: datagram.sentAtNs, received: result?.received ?? 0,
                                   applied: result?.applied ?? 0, status: status, score: result?.score ?? 0)
        var buffer = context.channel.allocator.buffer(capacity: 32)
        GameProtocol.encode(ack, into: &buffer)
        let (first, second) = draws()
        var delayMs = 0.0
        counters.update { counters in
            counters.datagrams += 1
            delayMs = ServerLoad.delayMs(utilization: counters.utilization, first, second)
            counters.queuedMs += delayMs
        }
        if delayMs < 0.5 {  // rounds to now (DelayedBatches: the nearest millisecond)
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)), promise: nil)
        } else {
            let channel = context.channel
            let delayed = sender.withLock { sender in
                if sender == nil { sender = DelayedSender(channel: channel) }
                return sender!
            }
            delayed.send(buffer, to: envelope.remoteAddress, afterMs: delayMs)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}
