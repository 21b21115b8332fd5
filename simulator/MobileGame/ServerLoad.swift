import Foundation

/// How a game server's load delays its players: each input waits in the server's queue before it is taken in and
/// acknowledged, as in an M/M/1 queue whose service time is 1 ms and whose utilization is players ÷ capacity (the
/// `SESSIONS` the server takes). With probability u an input waits, for an exponentially distributed time of mean
/// 1 ms ÷ (1 − u); the mean wait is 1 ms × u / (1 − u): 1 ms at half load, 9 ms at 90 %, 39 ms with 39 of 40. A
/// server without a capacity never waits. Discovery's load cost (`EdgeRanking.loadDelayMs`) estimates the same mean
/// from the sessions the platform knows; the server draws each input's wait.
public struct ServerLoad: Sendable {
    public static let serviceTimeMs = 1.0
    /// The longest one input waits (a server at capacity).
    public static let maxDelayMs = 200.0

    public static func meanDelayMs(utilization u: Double) -> Double {
        guard u > 0 else { return 0 }
        guard u < 1 else { return maxDelayMs }
        return min(maxDelayMs, serviceTimeMs * u / (1 - u))
    }

    /// One input's wait, from two uniform draws in [0, 1).
    public static func delayMs(utilization u: Double, _ first: Double, _ second: Double) -> Double {
        guard u > 0, first < u else { return 0 }
        guard u < 1 else { return maxDelayMs }
        return min(maxDelayMs, -log(1 - second) * serviceTimeMs / (1 - u))
    }
}
