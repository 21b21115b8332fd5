import Testing
@testable import MobileGame

/// The game server's queueing model: the drawn waits average to the M/M/1 mean, and an idle or uncapped server
/// never delays.
struct ServerLoadTests {
    @Test(arguments: [0.5, 0.8, 0.95]) func drawnWaitsAverageToTheMean(utilization: Double) {
        var state: UInt64 = 7
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let draws = 200_000
        var total = 0.0
        for _ in 0..<draws { total += ServerLoad.delayMs(utilization: utilization, uniform(), uniform()) }
        let mean = ServerLoad.meanDelayMs(utilization: utilization)
        #expect(abs(total / Double(draws) - mean) < mean * 0.05, "\(total / Double(draws)) vs \(mean)")
    }

    @Test func boundsAndIdle() {
        #expect(ServerLoad.meanDelayMs(utilization: 0) == 0)
        #expect(ServerLoad.delayMs(utilization: 0, 0, 0.9) == 0)
        #expect(ServerLoad.meanDelayMs(utilization: 0.5) == 1)
        #expect(ServerLoad.delayMs(utilization: 1, 0.1, 0.5) == ServerLoad.maxDelayMs)
        #expect(abs(ServerLoad.meanDelayMs(utilization: 39.0 / 40) - 39) < 1e-9)
    }
}
