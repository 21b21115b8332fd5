import FlotillaAPI
import FlotillaAppKit
import FlotillaControllers
import FlotillaMEC
import FlotillaStore
import FlotillaTestSupport
import Foundation
import KubeClient
import MobileGame
import NIOCore
import NIOPosix
import Synchronization
import Testing

@Suite struct GameProtocolTests {
    @Test func datagramsRoundTripAndGarbageIsRefused() {
        let inputs = (1...10).map { GameProtocol.Input(seq: UInt32($0), dx: Int16($0) - 5, dy: -3, action: UInt8($0 % 3)) }
        var buffer = ByteBuffer()
        GameProtocol.encode(GameProtocol.InputDatagram(session: 7, sentAtNs: 123_456_789, inputs: inputs), into: &buffer)
        let decoded = GameProtocol.decodeInput(buffer)
        #expect(decoded == GameProtocol.InputDatagram(session: 7, sentAtNs: 123_456_789, inputs: Array(inputs.prefix(8))))
        var ack = ByteBuffer()
        let sent = GameProtocol.Ack(session: 7, sentAtNs: 42, received: 9, applied: 8, status: .frozen, score: 3)
        GameProtocol.encode(sent, into: &ack)
        #expect(GameProtocol.decodeAck(ack) == sent)
        #expect(GameProtocol.decodeInput(ack) == nil)
        #expect(GameProtocol.decodeInput(ByteBuffer(bytes: [0x46, 0x47, 1, 0, 0])) == nil)
        var truncated = buffer
        truncated.moveWriterIndex(to: buffer.writerIndex - 3)
        #expect(GameProtocol.decodeInput(truncated) == nil)
    }

    @Test func inputsAreTakenInOrderOnce() {
        var state = PlayerState()
        func input(_ seq: UInt32) -> GameProtocol.Input { GameProtocol.Input(seq: seq, dx: 10, dy: 0, action: 1) }
        #expect(state.receive([input(2), input(3)]) == 0)        // a hole before them: the player resends
        #expect(state.receive([input(1), input(2), input(3)]) == 3)
        #expect(state.receive([input(2), input(3), input(4)]) == 1) // 2 and 3 are repeats
        state.tick()
        #expect(state.applied == 4 && state.received == 4 && state.score == 4 && state.pending.isEmpty)
        #expect(state.x == 4)
        let size = (try? state.transferBytes().count) ?? 0
        #expect(size > 1000)
    }

    /// The state's binary form comes back whole, and anything else is refused rather than half read.
    @Test func aPlayerStateTravelsWholeAndBadBytesAreRefused() throws {
        var state = PlayerState()
        state.x = 12.5
        state.y = -0.25
        state.lostInputs = 3
        state.inventory.append("ünïcode ✓")
        _ = state.receive((1...70).map { GameProtocol.Input(seq: $0, dx: Int16($0) - 35, dy: -7, action: UInt8($0 % 3)) })
        state.tick()
        _ = state.receive([GameProtocol.Input(seq: 71, dx: .min, dy: .max, action: 255)])
        let bytes = try state.transferBytes()
        #expect(try PlayerState(transferBytes: bytes) == state)
        #expect(state.recent.count == PlayerState.recentLimit && state.pending.count == 1)
        for bad in [Data(), Data("{\"x\":1}".utf8), bytes.dropLast(), bytes + Data([0])] {
            #expect(throws: (any Error).self) { try PlayerState(transferBytes: bad) }
        }
    }
}

/// A player against two real game servers on loopback, moved from one to the other mid-game by the migration runner.
@Suite struct GameMigrationTests {
    @Test func aPlayerMovedMidGameLosesNoInput() async throws {
        let a = try await GameServer.start(), b = try await GameServer.start()
        let transport = HTTPTransport()
        let client = StoreObjectClient(store: ResourceStore.memory())
        let fleet = PlayerFleet { session in
            guard let endpoint = try? AppSession(json: try await client.get(AppSession.descriptor, namespace: "default", name: String(session)))
                    .status?.endpoint,
                  let port = endpoint.split(separator: ":").last.flatMap({ Int($0) }) else { return nil }
            return try? SocketAddress(ipAddress: "127.0.0.1", port: port)
        }
        try await withCleanup({
            _ = try await client.create(Namespace.descriptor, Namespace(name: "default").json())
            #expect(try await transport.send(.POST, "http://127.0.0.1:\(a.port)/sessions/7").status == 201)
            var session = try AppSession(json: try await client.create(AppSession.descriptor,
                AppSession(metadata: ObjectMeta(name: "7", namespace: "default"), spec: AppSessionSpec(ue: "10.0.0.7", app: "game")).json()))
            session.status = AppSessionStatus(site: "edge-a", endpoint: "127.0.0.1:\(a.port)", phase: "Active")
            session = try AppSession(json: try await client.updateStatus(AppSession.descriptor, session.json()))

            fleet.add(session: 7, destination: try SocketAddress(ipAddress: "127.0.0.1", port: a.port))
            try await fleet.play()
            try await waitUntil("acknowledged inputs at a", seconds: 30, every: .milliseconds(20)) { (fleet.report(7)?.acknowledged ?? 0) >= 15 }
            let migration = try await MigrationRunner(client: client, transport: transport).migrate(MigrationRunner.Request(
                session: session, target: EdgeInstance(site: "edge-b", endpoint: "127.0.0.1:\(b.port)"), reason: "Manual"))
            #expect(migration.status?.phase == "Completed")
            let before = fleet.report(7)?.acknowledged ?? 0
            let roundTripsAtA = fleet.report(7)?.rtt.count ?? 0
            try await waitUntil("acknowledged inputs at b", seconds: 30, every: .milliseconds(20)) { (fleet.report(7)?.acknowledged ?? 0) >= before + 15 }
            let drained = await fleet.drain(timeout: .seconds(30))
            let state = try? await transport.send(.GET, "http://127.0.0.1:\(b.port)\(StateTransferProtocol.sessionPath("7"))")
            let standing = "player \(String(describing: fleet.report(7).map { ($0.sent, $0.acknowledged, $0.redirects, $0.regressions) })); "
                + "b holds \(state.map { String(decoding: $0.body, as: UTF8.self) } ?? "-")"
            #expect(drained, "\(standing)")
            let report = try #require(await fleet.stop()[7])
            // Every input sent was acknowledged, none twice, in order; the tick at b applied all of them.
            #expect(report.acknowledged == report.sent)
            #expect(report.regressions == 0)
            #expect(report.redirects == 1)
            // Round trips were measured at both servers. (One per acknowledging datagram; under load a datagram
            // acknowledges several inputs, so the count is not tied to the inputs.)
            #expect(roundTripsAtA > 0)
            #expect(report.rtt.count > roundTripsAtA)
            #expect((migration.status?.stateBytes ?? 0) > 1000)
            try await waitUntil("b's tick applied every input", seconds: 30, every: .milliseconds(20)) {
                let copy = try await transport.send(.POST, "http://127.0.0.1:\(b.port)\(StateTransferProtocol.sessionPath("7"))/export?freeze=false")
                return (try? PlayerState(transferBytes: copy.body))?.applied == report.sent
            }
            let metrics = String(decoding: try await transport.send(.GET, "http://127.0.0.1:\(b.port)/metrics").body, as: UTF8.self)
            #expect(metrics.contains("flotilla_game_players 1"))
            #expect(metrics.contains("flotilla_game_inputs_applied_total"))
        }, cleanup: {
            _ = await fleet.stop()
            await transport.shutdown()
            await a.stop()
            await b.stop()
        })
    }
}

/// A session promoted from its standby copy, whose player saw inputs acknowledged that the copy never got (by the old
/// primary, before it was fenced), and whose first datagram to arrive is an older one, overtaken on the way.
@Suite struct GamePromotionTests {
    /// Game datagrams from a test socket; the acknowledgements it hears.
    final class Player: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let acks = Mutex<[GameProtocol.Ack]>([])
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if let ack = GameProtocol.decodeAck(unwrapInboundIn(data).data) { acks.withLock { $0.append(ack) } }
        }
    }

    static func inputs(_ range: ClosedRange<UInt32>) -> [GameProtocol.Input] {
        range.map { GameProtocol.Input(seq: $0, dx: 1, dy: 0, action: 0) }
    }

    @Test func aPromotedCopyFollowsThePlayerEvenWhenAnOlderDatagramArrivesFirst() async throws {
        let server = try await GameServer.start()
        let transport = HTTPTransport()
        let player = Player()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(player) } }
            .bind(host: "127.0.0.1", port: 0).get()
        try await withCleanup({
            // The standby copy holds inputs 1...10; the old primary went on to acknowledge up to 20.
            var copy = PlayerState()
            _ = copy.receive(Self.inputs(1...10))
            let batch = CheckpointBatch(checkpoints: [.init(session: "7", epoch: 1, version: 10, state: try copy.transferBytes())])
            let stored = try await transport.send(.POST, "http://127.0.0.1:\(server.port)\(StateTransferProtocol.checkpointsPath)",
                body: Data(batch.binary().readableBytesView), headers: [("Content-Type", CheckpointBatch.binaryContentType)])
            #expect(stored.status == 200)
            #expect(try await transport.send(.POST, "http://127.0.0.1:\(server.port)\(StateTransferProtocol.sessionPath("7"))/promote?epoch=2").status == 200)
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: server.port)
            func send(_ range: ClosedRange<UInt32>) async throws -> GameProtocol.Ack {
                let before = player.acks.withLock { $0.count }
                var buffer = ByteBuffer()
                GameProtocol.encode(GameProtocol.InputDatagram(session: 7, sentAtNs: UInt64(range.lowerBound), inputs: Self.inputs(range)), into: &buffer)
                try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer))
                try await waitUntil("an acknowledgement", seconds: 10, every: .milliseconds(5)) { player.acks.withLock { $0.count } > before }
                return player.acks.withLock { $0.last! }
            }
            // The older datagram (sent when the player had seen 10 acknowledged) arrives first: taken as it is.
            #expect(try await send(11...14).received == 14)
            // The newest: the player holds only what it has not seen acknowledged (21 on). The copy continues from there
            // instead of waiting forever for 15...20, which nobody will send again; those six are the state lost.
            let ack = try await send(21...24)
            #expect(ack.status == .playing && ack.received == 24)
            #expect(try await send(25...26).received == 26)
            let session = try JSONValue.parse(Array(try await transport.send(.GET, "http://127.0.0.1:\(server.port)/sessions/7").body))
            #expect(session["lostInputs"]?.int64Value == 6)
            #expect(session["received"]?.int64Value == 26)
        }, cleanup: {
            try? await channel.close()
            await transport.shutdown()
            await server.stop()
        })
    }
}
