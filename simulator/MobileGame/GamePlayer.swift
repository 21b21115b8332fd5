import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A player: sends an input every tick (30 Hz) to its game server — directly or through the access network's
/// gateway — with every input not yet acknowledged (up to 8, oldest first), measures the round trip of each
/// acknowledgement, and, when its server says the session is frozen, released or unknown, asks `resolve` where the
/// session lives now and carries on there. Nothing is skipped: an input counts as delivered only when a server
/// acknowledges it, and acknowledgements must never go backwards (that would mean state was lost).
public actor GamePlayer {
    public struct Report: Sendable {
        public var sent: UInt32 = 0
        public var acknowledged: UInt32 = 0
        /// (seconds since start, round trip ms) per acknowledgement.
        public var rtt: [(at: Double, ms: Double)] = []
        /// Acknowledgements that went backwards: state lost somewhere.
        public var regressions = 0
        /// Times the player was sent elsewhere.
        public var redirects = 0
        /// Stretches of more than a second without an acknowledgement.
        public var disconnects = 0
        public var longestSilenceMs = 0.0
        /// The last answer said the session is not at that server (frozen, released, unknown) and no move followed.
        public var homeless = false
        /// The session's state was lost: acknowledgements went backwards, or it ended with no server holding it.
        public var lost: Bool { regressions > 0 || homeless }
    }

    public let session: UInt32
    let resolve: @Sendable () async -> SocketAddress?
    let tick: Duration
    private var destination: SocketAddress
    private var unacked: [GameProtocol.Input] = []
    private var nextSeq: UInt32 = 1
    private var report = Report()
    private var lastAck: ContinuousClock.Instant?
    private var resolving = false
    private var newestAnswered: UInt64 = 0
    private let start = ContinuousClock.now
    private var rng: UInt64

    /// `resolve` answers "where is my session now?" (the AppSession's endpoint, or the gateway that routes to it).
    public init(session: UInt32, destination: SocketAddress, tick: Duration = .milliseconds(33), seed: UInt64 = 1,
                resolve: @escaping @Sendable () async -> SocketAddress?) {
        self.session = session
        self.destination = destination
        self.tick = tick
        self.resolve = resolve
        self.rng = seed | 1
    }

    /// Plays until cancelled; returns what it saw.
    public func play() async throws -> Report {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { [self] in
                    for try await envelope in inbound {
                        if let ack = GameProtocol.decodeAck(envelope.data) { await self.handle(ack) }
                    }
                }
                group.addTask { [self] in
                    let clock = ContinuousClock()
                    var next = clock.now
                    while !Task.isCancelled {
                        let (datagram, address) = await self.nextDatagram()
                        var buffer = ByteBuffer()
                        GameProtocol.encode(datagram, into: &buffer)
                        try? await outbound.write(AddressedEnvelope(remoteAddress: address, data: buffer))
                        next = next.advanced(by: self.tick)
                        try await clock.sleep(until: next)
                    }
                }
                try? await group.next()
                group.cancelAll()
            }
        }
        noteSilence(until: .now)
        return report
    }

    /// Stops producing new inputs and waits (up to `timeout`) until every one sent was acknowledged.
    public func drain(timeout: Duration = .seconds(5)) async -> Bool {
        draining = true
        let deadline = ContinuousClock.now + timeout
        while !unacked.isEmpty, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return unacked.isEmpty
    }

    private var draining = false

    public var currentReport: Report { report }

    func nextDatagram() -> (GameProtocol.InputDatagram, SocketAddress) {
        if !draining {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let input = GameProtocol.Input(seq: nextSeq, dx: Int16(truncatingIfNeeded: rng >> 48) % 40, dy: Int16(truncatingIfNeeded: rng >> 32) % 40,
                                           action: UInt8((rng >> 60) % 3))
            unacked.append(input)
            report.sent = nextSeq
            nextSeq += 1
        }
        let sentAt = UInt64((ContinuousClock.now - start).components.seconds) * 1_000_000_000
            + UInt64((ContinuousClock.now - start).components.attoseconds / 1_000_000_000)
        return (GameProtocol.InputDatagram(session: session, sentAtNs: sentAt, inputs: Array(unacked.prefix(GameProtocol.maxInputsPerDatagram))),
                destination)
    }

    func handle(_ ack: GameProtocol.Ack) async {
        let now = ContinuousClock.now
        let elapsed = now - start
        let nowNs = UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
        guard ack.session == session else { return }
        switch ack.status {
        case .playing:
            report.homeless = false
            noteSilence(until: now)
            lastAck = now
            if ack.sentAtNs <= nowNs {
                report.rtt.append((Double(nowNs) / 1e9, Double(nowNs - ack.sentAtNs) / 1e6))
            }
            // Datagrams overtake each other (two servers, two paths): only an answer to a newer datagram that knows
            // less than an older one did means state went backwards.
            if ack.sentAtNs > newestAnswered {
                if ack.received < report.acknowledged { report.regressions += 1 }
                newestAnswered = ack.sentAtNs
            }
            report.acknowledged = max(report.acknowledged, ack.received)
            unacked.removeAll { $0.seq <= ack.received }
        case .frozen:
            await relocate()
        case .released, .unknown:
            report.homeless = true
            await relocate()
        }
    }

    /// Asks where the session lives now (one question at a time).
    func relocate() async {
        guard !resolving else { return }
        resolving = true
        defer { resolving = false }
        if let address = await resolve(), address != destination {
            destination = address
            report.redirects += 1
        }
    }

    func noteSilence(until now: ContinuousClock.Instant) {
        guard let last = lastAck else { return }
        let silence = now - last
        let ms = Double(silence.components.seconds) * 1000 + Double(silence.components.attoseconds) / 1e15
        report.longestSilenceMs = max(report.longestSilenceMs, ms)
        if ms > 1000 { report.disconnects += 1 }
    }
}
