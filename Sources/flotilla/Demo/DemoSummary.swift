import FlotillaAPI
import FlotillaMEC
import Foundation
import MobileGame

/// What the players of one strategy saw, from their own measurements and the migration records.
struct StrategyResult: Sendable {
    var strategy: Strategy
    var players: Int
    var rtt: [Double]
    var p50: Double
    var p95: Double
    var p99: Double
    /// Share of ticks (one input each) whose round trip was within the budget; lost or late ticks count as outside.
    var withinBudget: Double
    var migrations: Int
    var rolledBack: Int
    var downtimeP50: Double?
    var downtimeP99: Double?
    /// What the players heard: per completed move, the longest silence between two acknowledgements around it.
    var interruptionP50: Double?
    var interruptionP99: Double?
    /// Moves left out of the interruption figures: the player's silence overlapped a radio handover of its UE (the
    /// access network's, which every strategy hears; the demo's longest were 100–400 ms).
    var interruptionsInHandover = 0
    /// The same measure with no move: per counted move, the widest silence of that player over a window as long,
    /// 1.5 s before the move (or after it), clear of the player's moves and handovers. The floor the radio's jitter
    /// on a 33 ms tick gives, to read the interruption against.
    var quietP50: Double?
    var quietP99: Double?
    /// Sessions whose state went backwards or that ended with no server holding them.
    var sessionsLost: Int
    var longestSilenceMs: Double
    /// Each completed move's silence, as counted (or left out) above: what the report's interruptions.csv lists.
    var moves: [MoveSilence] = []

    /// One completed move as its player heard it. Times are seconds since the players started.
    struct MoveSilence: Sendable {
        var session: String
        var migration: String
        var window: (from: Double, to: Double)
        /// The widest gap between acknowledgements that overlapped the move, and its length.
        var gap: (from: Double, to: Double)
        var ms: Double
        var downtimeMs: Double?
        /// The same player's widest silence over a window as long with no move near it, when one was found.
        var quietMs: Double?
        /// Left out of the interruption figures: the gap overlapped a radio handover of the player's UE.
        var inHandover: Bool
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count - 1)).rounded(.up))))]
    }

    static func summarize(_ reports: [UInt32: PlayerFleet.Report], lost: Set<UInt32>, migrations: [SessionMigration],
                          budgetMs: Double, fleetStartedAt: Date, handovers: [Int: [(from: Date, to: Date)]] = [:]) -> [StrategyResult] {
        Strategy.allCases.map { strategy in
            let mine = reports.filter { Strategy.of(session: $0.key).strategy == strategy }.map(\.value)
            let rtt = mine.flatMap { $0.rtt.map(\.ms) }.sorted()
            var within = 0, ticks = 0
            for report in mine {
                ticks += Int(report.sent)
                within += min(Int(report.sent), report.rtt.filter { $0.ms <= budgetMs }.count)
            }
            // Moves the mobility service chose; promotions after a site's death are reported with the fault.
            let moved = strategy == .flotilla ? migrations.filter { $0.spec.reason != "Failover" } : []
            let downtimes = moved.filter { $0.status?.phase == "Completed" }.compactMap { $0.status?.downtimeMs }.sorted()
            var inHandover = 0
            var quiet: [Double] = []
            var silences: [MoveSilence] = []
            let interruptions = moved.filter { $0.status?.phase == "Completed" }.compactMap { migration -> Double? in
                guard let id = UInt32(migration.spec.session), let report = reports[id], let window = window(migration, fleetStartedAt: fleetStartedAt)
                else { return nil }
                let acks = report.rtt.map(\.at)
                guard let (ms, gap) = widestGap(acks: acks, from: window.from, to: window.to) else { return nil }
                // The UE's radio outages, as the demo's 50 ms path refresh saw them (so widened by that much).
                let outages = (handovers[Strategy.of(session: id).ue] ?? []).map {
                    ($0.from.timeIntervalSince(fleetStartedAt) - 0.05, $0.to.timeIntervalSince(fleetStartedAt) + 0.05)
                }
                var silence = MoveSilence(session: migration.spec.session, migration: migration.metadata.name ?? "", window: window, gap: gap, ms: ms,
                                          downtimeMs: migration.status?.downtimeMs, quietMs: nil, inHandover: false)
                if outages.contains(where: { $0.0 <= gap.to && $0.1 >= gap.from }) {
                    inHandover += 1
                    silence.inHandover = true
                    silences.append(silence)
                    return nil
                }
                // The same player, a window as long with no move or handover near it.
                let busy = outages + moved.filter { $0.spec.session == migration.spec.session }.compactMap { self.window($0, fleetStartedAt: fleetStartedAt) }
                    .map { ($0.from - 0.1, $0.to + 0.1) }
                for shift in [-1.5, 1.5] {
                    let from = window.from + shift, to = window.to + shift
                    guard from > 1, !busy.contains(where: { $0.0 <= to + 0.1 && $0.1 >= from - 0.1 }),
                          let (quietMs, _) = widestGap(acks: acks, from: from, to: to) else { continue }
                    quiet.append(quietMs)
                    silence.quietMs = quietMs
                    break
                }
                silences.append(silence)
                return ms
            }.sorted()
            quiet.sort()
            return StrategyResult(
                strategy: strategy, players: mine.count, rtt: rtt,
                p50: percentile(rtt, 50), p95: percentile(rtt, 95), p99: percentile(rtt, 99),
                withinBudget: ticks == 0 ? 0 : Double(within) / Double(ticks),
                migrations: moved.filter { $0.status?.phase == "Completed" }.count,
                rolledBack: moved.filter { ["RolledBack", "Failed"].contains($0.status?.phase ?? "") }.count,
                downtimeP50: downtimes.isEmpty ? nil : percentile(downtimes, 50),
                downtimeP99: downtimes.isEmpty ? nil : percentile(downtimes, 99),
                interruptionP50: interruptions.isEmpty ? nil : percentile(interruptions, 50),
                interruptionP99: interruptions.isEmpty ? nil : percentile(interruptions, 99),
                interruptionsInHandover: inHandover,
                quietP50: quiet.isEmpty ? nil : percentile(quiet, 50),
                quietP99: quiet.isEmpty ? nil : percentile(quiet, 99),
                sessionsLost: lost.filter { Strategy.of(session: $0).strategy == strategy }.count,
                longestSilenceMs: mine.map(\.longestSilenceMs).max() ?? 0,
                moves: silences.sorted { $0.window.from < $1.window.from })
        }
    }

    /// The longest silence (ms) the player heard across a move: the widest gap between two acknowledgements that
    /// overlaps the move, from its start to its completion. A silence the move caused begins within it (the freeze), so
    /// it counts in full however long the player then took to reach the new server (a redirecting player's silence
    /// runs until it asked the control plane and heard from the target). A gap that began after the move completed is
    /// not the move's (the demo's were handovers, up to 400 ms between operators). One tick (33 ms) between
    /// acknowledgements is the floor: that is how often a player sends.
    static func interruption(_ migration: SessionMigration, acks: [Double], fleetStartedAt: Date) -> (ms: Double, gap: (from: Double, to: Double))? {
        window(migration, fleetStartedAt: fleetStartedAt).flatMap { widestGap(acks: acks, from: $0.from, to: $0.to) }
    }

    /// A move's start and completion, in seconds since the players started.
    static func window(_ migration: SessionMigration, fleetStartedAt: Date) -> (from: Double, to: Double)? {
        guard let start = migration.status?.startTime.flatMap(MigrationRunner.date(microTime:)),
              let end = migration.status?.completionTime.flatMap(MigrationRunner.date(microTime:)) else { return nil }
        return (start.timeIntervalSince(fleetStartedAt), end.timeIntervalSince(fleetStartedAt))
    }

    /// The widest gap (ms) between consecutive acknowledgements (seconds) that overlaps [from, to].
    static func widestGap(acks: [Double], from: Double, to: Double) -> (ms: Double, gap: (from: Double, to: Double))? {
        var widest: (ms: Double, gap: (from: Double, to: Double))?
        for (a, b) in zip(acks, acks.dropFirst()) where b >= from && a <= to && (b - a) * 1000 > (widest?.ms ?? 0) {
            widest = ((b - a) * 1000, (a, b))
        }
        return widest
    }

    /// The summary table, as printed and as the README quotes it.
    static func table(_ results: [StrategyResult], budgetMs: Double) -> String {
        func ms(_ value: Double?) -> String { value.map { $0.isNaN ? "-" : format($0, 1) } ?? "-" }
        var lines = [
            "| strategy | players | RTT p50 ms | RTT p95 ms | RTT p99 ms | time within \(format(budgetMs)) ms | migrations | downtime p50 / p99 ms | interruption p50 / p99 ms | sessions lost |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in results {
            let migrations = r.strategy == .flotilla ? "\(r.migrations)" + (r.rolledBack > 0 ? " (+\(r.rolledBack) rolled back)" : "") : "-"
            let downtime = r.strategy == .flotilla ? "\(ms(r.downtimeP50)) / \(ms(r.downtimeP99))" : "-"
            let interruption = r.strategy == .flotilla ? "\(ms(r.interruptionP50)) / \(ms(r.interruptionP99))" : "-"
            lines.append("| \(r.strategy.title) | \(r.players) | \(ms(r.p50)) | \(ms(r.p95)) | \(ms(r.p99)) | \(format(r.withinBudget * 100, 2)) % | "
                + "\(migrations) | \(downtime) | \(interruption) | \(r.sessionsLost) |")
        }
        if let flotilla = results.first(where: { $0.strategy == .flotilla }), flotilla.quietP50 != nil || flotilla.interruptionsInHandover > 0 {
            lines.append("")
            if flotilla.quietP50 != nil {
                lines.append("Without a move, the same players' widest silence over windows as long (1.5 s away from each move) is "
                    + "p50 \(ms(flotilla.quietP50)) / p99 \(ms(flotilla.quietP99)) ms: the radio's jitter on a 33 ms tick.")
            }
            if flotilla.interruptionsInHandover > 0 {
                lines.append("Interruption leaves out \(flotilla.interruptionsInHandover) of \(flotilla.migrations) moves whose silence overlapped a radio "
                    + "handover of the player's UE (the access network's silence, which every strategy hears).")
            }
        }
        return lines.joined(separator: "\n")
    }
}
