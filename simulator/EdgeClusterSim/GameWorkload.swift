import FlotillaAPI
import MobileGame

/// `flotilla/mobile-game`: the demo's game server (simulator/MobileGame) as a workload the simulated sites run.
/// `SESSIONS` in the container's env caps the players per instance.
public enum GameWorkload {
    public static let image = WorkloadImage(repository: "flotilla/mobile-game") { context in
        let capacity = context.environment["SESSIONS"].flatMap { Int($0) } ?? .max
        return RunningGame(server: try await GameServer.start(capacity: capacity))
    }

    struct RunningGame: RunningWorkload {
        let server: GameServer
        var port: Int { server.port }
        func stop() async { await server.stop() }
        /// A tick loop's base cost plus each player's share of the simulation and network work.
        var usage: WorkloadUsage? { GameWorkload.usage(players: server.sessions.activeCount) }
        /// Players still here: a terminating server waits for the mobility service to move them.
        var busy: Bool { server.sessions.heldCount > 0 }
    }

    /// The game server's usage model: 20m CPU and 64Mi idle, and 10m CPU and 1Mi per player.
    public static func usage(players: Int) -> WorkloadUsage {
        WorkloadUsage(cpu: Quantity(milli: 20 + 10 * Int64(players)), memory: Quantity(64 * 1_048_576 + Int64(players) * 1_048_576, format: .binarySI))
    }
}
