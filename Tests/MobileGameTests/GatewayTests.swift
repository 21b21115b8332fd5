import FlotillaMEC
import FlotillaTestSupport
import Foundation
import MobileGame
import NIOCore
import Synchronization
import Testing

/// The gateway on the data path: the round trip a player measures is the one the route gives, held traffic arrives
/// late but complete, and dropped traffic is made good by the player's redundancy.
@Suite struct GatewayTests {
    /// What the test's access network says right now.
    final class Network: Sendable {
        enum Mode { case deliver, hold, unreachable }
        let mode = Mutex(Mode.deliver)
        func set(_ value: Mode) { mode.withLock { $0 = value } }
    }

    /// How the player reaches the gateway: its UDP port, or the radio leg in the same process.
    enum Attachment: CaseIterable, Sendable { case socket, inProcess }

    @Test(arguments: Attachment.allCases)
    func theMeasuredRoundTripIsTheModelsAndNothingIsLost(attachment: Attachment) async throws {
        let server = try await GameServer.start()
        let network = Network()
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: server.port)
        let gateway = try await AccessGateway.start { _ in
            switch network.mode.withLock({ $0 }) {
            case .deliver: .deliver(target, rttMs: 20)
            case .hold: .hold
            case .unreachable: .unreachable
            }
        }
        let transport = HTTPTransport()
        let fleet = PlayerFleet()
        try await withCleanup({
            #expect(try await transport.send(.POST, "http://127.0.0.1:\(server.port)/sessions/3").status == 201)
            switch attachment {
            case .socket: fleet.add(session: 3, destination: try SocketAddress(ipAddress: "127.0.0.1", port: gateway.port))
            case .inProcess: fleet.add(session: 3, gateway: gateway)
            }
            try await fleet.play()
            try await waitUntil("30 round trips", seconds: 30, every: .milliseconds(10)) { (fleet.report(3)?.rtt.count ?? 0) >= 30 }
            // A handover interruption: held, then delivered.
            network.set(.hold)
            try await Task.sleep(for: .milliseconds(300))
            try await waitUntil("traffic held", seconds: 30, every: .milliseconds(5)) { gateway.counters.held >= 3 }
            network.set(.deliver)
            let afterHold = fleet.report(3)?.acknowledged ?? 0
            try await waitUntil("play after the hold", seconds: 30, every: .milliseconds(10)) { (fleet.report(3)?.acknowledged ?? 0) >= afterHold + 10 }
            // Coverage lost for a moment: dropped, then resent by the player.
            network.set(.unreachable)
            try await waitUntil("traffic dropped", seconds: 30, every: .milliseconds(5)) { gateway.counters.dropped >= 2 }
            network.set(.deliver)
            #expect(await fleet.drain(timeout: .seconds(30)))
            let report = try #require(await fleet.stop()[3])

            // Never faster than the model's 20 ms, but for the delays' rounding to the nearest millisecond (half a
            // millisecond each way at most; a busy machine only adds to it), and the held traffic arrived late.
            #expect((report.rtt.map(\.ms).min() ?? 0) >= 19, "\(report.rtt.prefix(30).map(\.ms))")
            #expect(report.acknowledged == report.sent && report.regressions == 0)
            #expect(report.longestSilenceMs >= 200)
            let counters = gateway.counters
            #expect(counters.held > 0 && counters.dropped > 0 && counters.forwarded > 0)
        }, cleanup: {
            _ = await fleet.stop()
            await gateway.stop()
            await server.stop()
            await transport.shutdown()
        })
    }
}
