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
    }
}
