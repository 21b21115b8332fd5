import FlotillaGateway
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Players, any number, on one UDP socket: every tick (30 Hz) each sends its game server — directly or through the
/// access network's gateway — a datagram with every input not yet acknowledged (up to 8, oldest first), measures the
/// round trip of each acknowledgement, and, when its server says the session is frozen, released or unknown, or has
/// been quiet for 300 ms, asks `resolve` where the session lives now. An input counts as delivered only when a server acknowledges it, and an
/// answer to a newer datagram must never know less than an answer to an older one did (that would be lost state).
/// One socket and one timer for all players keeps a few hundred players from costing a few hundred event-loop wakeups
/// per tick. Players attached to an operator's gateway in the same process (`add(session:gateway:)`) reach it without
/// the socket: their radio leg is the gateway's modelled delay, as it is for a player behind the socket.
public final class PlayerFleet: Sendable {
    public struct Report: Sendable {
        public var sent: UInt32 = 0
        public var acknowledged: UInt32 = 0
        /// (seconds since the fleet started, round trip ms) per acknowledgement.
        public var rtt: [(at: Double, ms: Double)] = []
        /// Answers to newer datagrams that knew less than older ones: state went backwards.
        public var regressions = 0
        /// Times `resolve` sent the player elsewhere.
        public var redirects = 0
        /// Stretches of more than a second without an acknowledgement.
        public var disconnects = 0
        public var longestSilenceMs = 0.0
        /// The last answer said the session is not at that server (released, unknown) and nothing better came since.
        public var homeless = false
        /// The session's state was lost as far as the player can tell: acknowledgements went backwards, or it ended
        /// with no server holding it. (A server that went away without a word leaves inputs unacknowledged instead;
        /// only asking a server tells that apart from a slow one.)
        public var lost: Bool { regressions > 0 || homeless }
    }

    struct Player {
        var session: UInt32
        var destination: SocketAddress
        /// The operator gateway the player is attached to in this process (nil: it sends to `destination`).
        var gateway: AccessGateway?
        var unacked: [GameProtocol.Input] = []
        var nextSeq: UInt32 = 1
        var report = Report()
        var lastAckNs: UInt64?
        var newestAnswered: UInt64 = 0
        var resolving = false
        /// When the player last asked where its session is because its server went quiet.
        var askedNs: UInt64 = 0
        var rng: UInt64

        mutating func nextInput() {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            unacked.append(GameProtocol.Input(seq: nextSeq, dx: Int16(truncatingIfNeeded: rng >> 48) % 40,
                                              dy: Int16(truncatingIfNeeded: rng >> 32) % 40, action: UInt8((rng >> 60) % 3)))
            report.sent = nextSeq
            nextSeq += 1
        }

        /// Sends to `address` from now on (detached from its gateway, if it was attached to one).
        mutating func redirect(to address: SocketAddress) {
            guard address != destination || gateway != nil else { return }
            destination = address
            gateway = nil
            report.redirects += 1
        }

        mutating func noteSilence(untilNs now: UInt64) {
            guard let last = lastAckNs, now > last else { return }
            let ms = Double(now - last) / 1e6
            report.longestSilenceMs = max(report.longestSilenceMs, ms)
            if ms > 1000 { report.disconnects += 1 }
        }
    }

    struct State {
        var players: [Player] = []
        var index: [UInt32: Int] = [:]
        var draining = false
    }

    let state = Mutex(State())
    let resolve: @Sendable (UInt32) async -> SocketAddress?
    let tick: Duration
    let start = ContinuousClock.now
    /// The wall-clock time of `Report.rtt`'s second 0, to line the players' samples up with other records.
    public let startedAt = Date()
    let channel: Mutex<(any Channel)?> = Mutex(nil)
    /// The slot clock, on the socket's event loop.
    let clock: Mutex<LoopClock?> = Mutex(nil)

    /// `resolve` answers "where is this session now?" (nil: stay).
    public init(tick: Duration = .milliseconds(33), resolve: @escaping @Sendable (UInt32) async -> SocketAddress? = { _ in nil }) {
        self.tick = tick
        self.resolve = resolve
    }

    public func add(session: UInt32, destination: SocketAddress, seed: UInt64 = 1) {
        add(Player(session: session, destination: destination, rng: seed | 1))
    }

    /// A player attached to an operator's gateway running in this process: its datagrams take the radio leg to the
    /// gateway without a socket, and the answers come back the same way.
    public func add(session: UInt32, gateway: AccessGateway, seed: UInt64 = 1) {
        add(Player(session: session, destination: gateway.address, gateway: gateway, rng: seed | 1))
    }

    func add(_ player: Player) {
        state.withLock { state in
            state.index[player.session] = state.players.count
            state.players.append(player)
        }
    }

    var nowNs: UInt64 {
        let elapsed = ContinuousClock.now - start
        return UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
    }

    /// Binds the socket and starts the tick; returns once playing.
    public func play() async throws {
        let fleet = self
        let bound = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .readingInBatches()
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(AckHandler(fleet: fleet)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        channel.withLock { $0 = bound }
        // Players do not all send at the same instant: the tick is cut into slots and each player sends in its own,
        // so the servers and gateways see a steady stream rather than one burst per tick. The clock runs on the
        // socket's event loop: a slot wakes no other thread, and a gateway on the same loop takes its batch directly.
        let slots = Self.slots
        let clock = LoopClock(on: bound.eventLoop, every: tick / slots) { run in fleet.send(slot: run % slots, of: slots, on: bound) }
        self.clock.withLock { $0 = clock }
        clock.start()
    }

    static let slots = 11

    /// A player whose server has been quiet this long asks where its session is (its server may be gone without a word).
    static let quietNs: UInt64 = 300_000_000

    func send(slot: Int, of slots: Int, on channel: any Channel) {
        let now = nowNs
        var quiet: [UInt32] = []
        var attached: [ObjectIdentifier: (gateway: AccessGateway, datagrams: [ByteBuffer])] = [:]
        let datagrams: [AddressedEnvelope<ByteBuffer>] = state.withLock { state in
            var out: [AddressedEnvelope<ByteBuffer>] = []
            out.reserveCapacity(state.players.count / slots + 1)
            for i in stride(from: slot, to: state.players.count, by: slots) {
                if !state.draining { state.players[i].nextInput() }
                if let last = state.players[i].lastAckNs, now > last + Self.quietNs, now > state.players[i].askedNs + Self.quietNs,
                   !state.players[i].resolving {
                    state.players[i].resolving = true
                    state.players[i].askedNs = now
                    quiet.append(state.players[i].session)
                }
                var buffer = ByteBuffer()
                GameProtocol.encode(GameProtocol.InputDatagram(session: state.players[i].session, sentAtNs: now,
                                                               inputs: Array(state.players[i].unacked.prefix(GameProtocol.maxInputsPerDatagram))),
                                    into: &buffer)
                if let gateway = state.players[i].gateway {
                    attached[ObjectIdentifier(gateway), default: (gateway, [])].datagrams.append(buffer)
                } else {
                    out.append(AddressedEnvelope(remoteAddress: state.players[i].destination, data: buffer))
                }
            }
            return out
        }
        if !datagrams.isEmpty {
            channel.eventLoop.execute {
                for datagram in datagrams { channel.write(datagram, promise: nil) }
                channel.flush()
            }
        }
        for (gateway, batch) in attached.values { gateway.fromUEs(batch, of: self) }
        for session in quiet { relocate(session) }
    }

    /// A datagram from the player's server (through the socket or an attached gateway).
    func receive(_ data: ByteBuffer) {
        if let ack = GameProtocol.decodeAck(data) { handle(ack) }
    }

    func handle(_ ack: GameProtocol.Ack) {
        let now = nowNs
        var relocate = false
        state.withLock { state in
            guard let i = state.index[ack.session] else { return }
            switch ack.status {
            case .playing:
                state.players[i].report.homeless = false
                state.players[i].noteSilence(untilNs: now)
                state.players[i].lastAckNs = now
                if ack.sentAtNs <= now {
                    state.players[i].report.rtt.append((Double(now) / 1e9, Double(now - ack.sentAtNs) / 1e6))
                }
                // Datagrams overtake each other (two servers, two paths): only an answer to a newer datagram that
                // knows less than an older one did means state went backwards.
                if ack.sentAtNs > state.players[i].newestAnswered {
                    if ack.received < state.players[i].report.acknowledged { state.players[i].report.regressions += 1 }
                    state.players[i].newestAnswered = ack.sentAtNs
                }
                state.players[i].report.acknowledged = max(state.players[i].report.acknowledged, ack.received)
                state.players[i].unacked.removeAll { $0.seq <= ack.received }
            case .frozen, .released, .unknown:
                if ack.status != .frozen { state.players[i].report.homeless = true }
                if !state.players[i].resolving {
                    state.players[i].resolving = true
                    relocate = true
                }
            }
        }
        guard relocate else { return }
        self.relocate(ack.session)
    }

    /// Asks `resolve` where the session is now and points the player there (the caller set `resolving`).
    func relocate(_ session: UInt32) {
        Task {
            let address = await resolve(session)
            state.withLock { state in
                guard let i = state.index[session] else { return }
                state.players[i].resolving = false
                if let address { state.players[i].redirect(to: address) }
            }
        }
    }

    /// Points a player somewhere else (a redirect heard from outside the game, e.g. the session's callback).
    public func redirect(session: UInt32, to address: SocketAddress) {
        state.withLock { state in
            guard let i = state.index[session] else { return }
            state.players[i].redirect(to: address)
        }
    }

    public func report(_ session: UInt32) -> Report? {
        state.withLock { state in state.index[session].map { state.players[$0].report } }
    }

    /// Every player's acknowledged input count, without copying the samples.
    public func progress() -> [UInt32: UInt32] {
        state.withLock { state in Dictionary(uniqueKeysWithValues: state.players.map { ($0.session, $0.report.acknowledged) }) }
    }

    /// Stops producing inputs and waits (up to `timeout`) until every player's inputs were acknowledged and every
    /// player is at a server that holds its session (one caught mid-move is not counted as homeless when it is
    /// about to be redirected).
    public func drain(timeout: Duration = .seconds(5)) async -> Bool {
        state.withLock { $0.draining = true }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.players.allSatisfy { $0.unacked.isEmpty && !$0.report.homeless && !$0.resolving } }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Stops playing; every player's report by session.
    public func stop() async -> [UInt32: Report] {
        // A slot already running finishes before the socket closes.
        await clock.withLock { $0 }?.stop()
        let channel = channel.withLock { $0 }
        let now = nowNs
        try? await channel?.close()
        return state.withLock { state in
            var reports: [UInt32: Report] = [:]
            for i in state.players.indices {
                state.players[i].noteSilence(untilNs: now)
                reports[state.players[i].session] = state.players[i].report
            }
            return reports
        }
    }
}

/// Hands each acknowledgement to the fleet on the event loop.
final class AckHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let fleet: PlayerFleet

    init(fleet: PlayerFleet) { self.fleet = fleet }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        fleet.receive(unwrapInboundIn(data).data)
    }
}
