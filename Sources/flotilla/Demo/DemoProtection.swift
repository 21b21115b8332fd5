import FlotillaAPI
import FlotillaMEC
import Foundation

/// What session protection did and cost in a demo run: the promotions after `--fail-site` and the play each
/// promoted session lost (inputs the player had seen acknowledged that the standby copy did not hold yet, one
/// every 33 ms tick), and the checkpoint traffic per protected session.
struct DemoProtection {
    /// A player sends one input per tick.
    static let inputMs = 1000.0 / 30

    let promotions: Int
    /// Play lost per promoted session, ms.
    let stateLostMs: [Double]
    /// Checkpoint bytes per second per protected session, and checkpoints per second per session.
    let bytesPerSessionSecond: Double
    let checkpointsPerSessionSecond: Double

    /// Asks each promoted session's new server how many inputs the promotion lost, and every instance what its
    /// keeper sent.
    static func measure(migrations: [SessionMigration], instances: [EdgeInstance], sessions: Int, seconds: Double,
                        transport: HTTPTransport) async -> DemoProtection {
        let promoted = migrations.filter { $0.spec.reason == "Failover" && $0.status?.phase == "Completed" }
        var lost: [Double] = []
        for record in promoted {
            guard let endpoint = record.spec.targetEndpoint,
                  let reply = try? await transport.send(.GET, "http://\(endpoint)/sessions/\(record.spec.session)"), reply.status == 200,
                  let inputs = (try? JSONValue.parse(Array(reply.body)))?["lostInputs"]?.int64Value else { continue }
            lost.append(Double(inputs) * inputMs)
        }
        var bytes = 0.0, checkpoints = 0.0
        for instance in instances {
            guard let reply = try? await transport.send(.GET, "http://\(instance.endpoint)/metrics"), reply.status == 200 else { continue }
            for line in String(decoding: reply.body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let value = Double(parts[1]) else { continue }
                if parts[0] == "flotilla_game_checkpoint_bytes_total" { bytes += value }
                if parts[0] == "flotilla_game_checkpoints_total" { checkpoints += value }
            }
        }
        let denominator = max(1, Double(sessions)) * max(seconds, 0.001)
        return DemoProtection(promotions: promoted.count, stateLostMs: lost.sorted(), bytesPerSessionSecond: bytes / denominator,
                              checkpointsPerSessionSecond: checkpoints / denominator)
    }

    var summary: String {
        var lines = ["Session protection (standby copies, checkpoint every 100 ms): \(format(checkpointsPerSessionSecond, 1)) checkpoints and "
                     + "\(format(bytesPerSessionSecond / 1024, 1)) KiB per session per second."]
        if promotions > 0 {
            let p50 = stateLostMs.isEmpty ? "-" : format(Self.percentile(stateLostMs, 50))
            let p99 = stateLostMs.isEmpty ? "-" : format(Self.percentile(stateLostMs, 99))
            lines.append("  \(promotions) standby copies promoted; play lost per promoted session p50 \(p50) ms, p99 \(p99) ms "
                         + "(\(stateLostMs.count) measured)")
        }
        return lines.joined(separator: "\n")
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted[min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count - 1)).rounded(.up))))]
    }
}
