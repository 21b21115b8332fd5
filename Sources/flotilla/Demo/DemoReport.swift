import FlotillaAPI
import Foundation
import MobileGame

/// `flotilla demo --report DIR`: report.html (self-contained: inline SVG, no scripts or network) with the RTT over time
/// per strategy, the RTT distribution, the migrations on a timeline, Flotilla's game servers per site over time and
/// the map with the players' tracks and the sites; plus the raw data as rtt-per-second.csv, migrations.json,
/// replicas.csv, interruptions.csv (each move's silence as its player heard it) and summary.json.
enum DemoReport {
    struct Map: Sendable {
        var width: Double
        var height: Double
        var sites: [(name: String, x: Double, y: Double)]
        var cells: [(x: Double, y: Double, rat: String)]
        /// Per UE, its positions once a second.
        var tracks: [[(x: Double, y: Double)]]
    }

    static let colors: [Strategy: String] = [.cloud: "#d9534f", .staticNearest: "#f0ad4e", .flotilla: "#2e7d32"]

    static func write(to directory: URL, results: [StrategyResult], reports: [UInt32: PlayerFleet.Report], migrations: [SessionMigration],
                      budgetMs: Double, map: Map?, playStartedAt: Date, replicas: [DemoPools.Sample] = []) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Per strategy and second: the median round trip over that second's acknowledgements.
        var perSecond: [Strategy: [Int: [Double]]] = [:]
        var csv = "strategy,session,second,acks,mean_ms,max_ms\n"
        for (session, report) in reports.sorted(by: { $0.key < $1.key }) {
            let strategy = Strategy.of(session: session).strategy
            var buckets: [Int: [Double]] = [:]
            for sample in report.rtt { buckets[Int(sample.at), default: []].append(sample.ms) }
            for (second, values) in buckets.sorted(by: { $0.key < $1.key }) {
                perSecond[strategy, default: [:]][second, default: []] += values
                csv += "\(strategy.key),\(session),\(second),\(values.count),\(format(values.reduce(0, +) / Double(values.count), 3)),\(format(values.max() ?? 0, 3))\n"
            }
        }
        try csv.write(to: directory.appendingPathComponent("rtt-per-second.csv"), atomically: true, encoding: .utf8)
        try JSONValue.array(migrations.compactMap { try? $0.json() }).serializedString()
            .write(to: directory.appendingPathComponent("migrations.json"), atomically: true, encoding: .utf8)
        let summary: JSONValue = .object(["budgetMs": .double(budgetMs), "strategies": .array(results.map { r in
            ["strategy": .string(r.strategy.key), "players": .integer(Int64(r.players)), "rttP50Ms": .double(r.p50), "rttP95Ms": .double(r.p95),
             "rttP99Ms": .double(r.p99), "withinBudget": .double(r.withinBudget), "migrations": .integer(Int64(r.migrations)),
             "downtimeP50Ms": r.downtimeP50.map { .double($0) } ?? .null, "downtimeP99Ms": r.downtimeP99.map { .double($0) } ?? .null,
             "interruptionP50Ms": r.interruptionP50.map { .double($0) } ?? .null, "interruptionP99Ms": r.interruptionP99.map { .double($0) } ?? .null,
             "quietSilenceP50Ms": r.quietP50.map { .double($0) } ?? .null, "quietSilenceP99Ms": r.quietP99.map { .double($0) } ?? .null,
             "sessionsLost": .integer(Int64(r.sessionsLost))]
        })])
        try summary.serializedString().write(to: directory.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
        var moveRows = "session,migration,move_from_s,move_to_s,gap_from_s,gap_to_s,silence_ms,downtime_ms,quiet_silence_ms,in_handover\n"
        for move in results.flatMap(\.moves) {
            moveRows += "\(move.session),\(move.migration),\(format(move.window.from, 4)),\(format(move.window.to, 4)),\(format(move.gap.from, 4)),"
                + "\(format(move.gap.to, 4)),\(format(move.ms, 1)),\(move.downtimeMs.map { format($0, 1) } ?? ""),"
                + "\(move.quietMs.map { format($0, 1) } ?? ""),\(move.inHandover)\n"
        }
        try moveRows.write(to: directory.appendingPathComponent("interruptions.csv"), atomically: true, encoding: .utf8)
        var replicaRows = "second,strategy,cluster,ready_servers\n"
        for sample in replicas {
            for (strategy, sites) in sample.sites.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                for (site, count) in sites.sorted(by: { $0.key < $1.key }) { replicaRows += "\(format(sample.second, 1)),\(strategy.key),\(site),\(count)\n" }
            }
        }
        try replicaRows.write(to: directory.appendingPathComponent("replicas.csv"), atomically: true, encoding: .utf8)

        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let migrationTimes: [(Double, String)] = migrations.compactMap { m in
            guard let text = m.status?.startTime, let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) else { return nil }
            return (date.timeIntervalSince(playStartedAt), m.status?.phase ?? "")
        }
        var html = """
            <!doctype html><html><head><meta charset="utf-8"><title>Flotilla demo report</title>
            <style>body{font-family:sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}
            svg{border:1px solid #ddd;margin:8px 0}.legend span{margin-right:1.5em}</style></head><body>
            <h1>Flotilla mobile-game demo</h1>
            <p>Round trips measured by the players through their operator's gateway; latency budget \(format(budgetMs)) ms.</p>
            <div class="legend">\(Strategy.allCases.map { "<span style=\"color:\(colors[$0]!)\">■ \($0.title)</span>" }.joined())</div>
            <h2>Summary</h2>\(summaryTable(results, budgetMs: budgetMs))
            <h2>Round trip over time (median per second)</h2>\(timeSeries(perSecond, budgetMs: budgetMs))
            <h2>Round-trip distribution (CDF)</h2>\(cdf(results, budgetMs: budgetMs))
            <h2>Migrations</h2>\(timeline(migrationTimes, length: Double(perSecond.values.flatMap(\.keys).max() ?? 1)))
            <h2>Flotilla's game servers per site (the baselines run as many in all)</h2>\(replicaPlot(replicas))
            """
        if let map { html += "<h2>Map: sites, cells and player tracks</h2>" + mapSVG(map) }
        html += "<p>Raw data: rtt-per-second.csv, migrations.json, summary.json.</p></body></html>\n"
        let url = directory.appendingPathComponent("report.html")
        try html.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func summaryTable(_ results: [StrategyResult], budgetMs: Double) -> String {
        var rows = "<table><tr><th>strategy</th><th>players</th><th>RTT p50</th><th>p95</th><th>p99 ms</th><th>within \(format(budgetMs)) ms</th>"
            + "<th>migrations</th><th>downtime p50/p99 ms</th><th>interruption p50/p99 ms</th><th>sessions lost</th></tr>"
        for r in results {
            rows += "<tr><td>\(r.strategy.title)</td><td>\(r.players)</td><td>\(format(r.p50, 1))</td><td>\(format(r.p95, 1))</td><td>\(format(r.p99, 1))</td>"
                + "<td>\(format(r.withinBudget * 100, 2)) %</td><td>\(r.strategy == .flotilla ? "\(r.migrations)" : "-")</td>"
                + "<td>\(r.downtimeP50.map { format($0, 1) } ?? "-") / \(r.downtimeP99.map { format($0, 1) } ?? "-")</td>"
                + "<td>\(r.interruptionP50.map { format($0, 1) } ?? "-") / \(r.interruptionP99.map { format($0, 1) } ?? "-")</td><td>\(r.sessionsLost)</td></tr>"
        }
        return rows + "</table>"
    }

    static let plotWidth = 900.0, plotHeight = 260.0, margin = 40.0

    static func axes(xMax: Double, yMax: Double, xLabel: String, yLabel: String, budgetMs: Double?) -> String {
        var svg = "<line x1=\"\(margin)\" y1=\"\(plotHeight - margin)\" x2=\"\(plotWidth - 10)\" y2=\"\(plotHeight - margin)\" stroke=\"#333\"/>"
            + "<line x1=\"\(margin)\" y1=\"10\" x2=\"\(margin)\" y2=\"\(plotHeight - margin)\" stroke=\"#333\"/>"
            + "<text x=\"\(plotWidth / 2)\" y=\"\(plotHeight - 8)\" font-size=\"12\">\(xLabel) (0–\(format(xMax)))</text>"
            + "<text x=\"4\" y=\"20\" font-size=\"12\">\(yLabel) (max \(format(yMax)))</text>"
        if let budgetMs, yLabel == "ms" {
            let y = plotHeight - margin - budgetMs / yMax * (plotHeight - margin - 10)
            svg += "<line x1=\"\(margin)\" y1=\"\(y)\" x2=\"\(plotWidth - 10)\" y2=\"\(y)\" stroke=\"#888\" stroke-dasharray=\"4\"/>"
                + "<text x=\"\(plotWidth - 80)\" y=\"\(y - 4)\" font-size=\"11\">budget</text>"
        }
        return svg
    }

    static func point(_ x: Double, _ y: Double, xMax: Double, yMax: Double) -> String {
        let px = margin + x / max(xMax, 1e-9) * (plotWidth - margin - 10)
        let py = plotHeight - margin - min(y, yMax) / max(yMax, 1e-9) * (plotHeight - margin - 10)
        return "\(format(px, 1)),\(format(py, 1))"
    }

    static func timeSeries(_ perSecond: [Strategy: [Int: [Double]]], budgetMs: Double) -> String {
        let xMax = Double(perSecond.values.flatMap(\.keys).max() ?? 1)
        let yMax = max(budgetMs * 2, perSecond.values.flatMap { $0.values.map(median) }.max() ?? budgetMs)
        var svg = "<svg width=\"\(plotWidth)\" height=\"\(plotHeight)\" id=\"rtt-over-time\">" + axes(xMax: xMax, yMax: yMax, xLabel: "seconds", yLabel: "ms", budgetMs: budgetMs)
        for strategy in Strategy.allCases {
            let points = (perSecond[strategy] ?? [:]).sorted { $0.key < $1.key }.map { point(Double($0.key), median($0.value), xMax: xMax, yMax: yMax) }
            svg += "<polyline fill=\"none\" stroke=\"\(colors[strategy]!)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
        }
        return svg + "</svg>"
    }

    static func cdf(_ results: [StrategyResult], budgetMs: Double) -> String {
        let xMax = max(budgetMs * 2, results.map { $0.p99.isNaN ? 0 : $0.p99 }.max() ?? budgetMs)
        var svg = "<svg width=\"\(plotWidth)\" height=\"\(plotHeight)\" id=\"rtt-cdf\">" + axes(xMax: xMax, yMax: 1, xLabel: "round trip ms", yLabel: "share", budgetMs: nil)
        for r in results where !r.rtt.isEmpty {
            let step = max(1, r.rtt.count / 300)
            let points = stride(from: 0, to: r.rtt.count, by: step).map { point(r.rtt[$0], Double($0 + 1) / Double(r.rtt.count), xMax: xMax, yMax: 1) }
            svg += "<polyline fill=\"none\" stroke=\"\(colors[r.strategy]!)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
        }
        return svg + "</svg>"
    }

    static func timeline(_ migrations: [(at: Double, phase: String)], length: Double) -> String {
        var svg = "<svg width=\"\(plotWidth)\" height=\"80\" id=\"migrations\"><line x1=\"\(margin)\" y1=\"50\" x2=\"\(plotWidth - 10)\" y2=\"50\" stroke=\"#333\"/>"
            + "<text x=\"\(margin)\" y=\"75\" font-size=\"12\">\(migrations.count) migrations over \(format(length)) s "
            + "(green: completed, red: rolled back or failed)</text>"
        for m in migrations {
            let x = margin + max(0, m.at) / max(length, 1) * (plotWidth - margin - 10)
            svg += "<line x1=\"\(format(x, 1))\" y1=\"20\" x2=\"\(format(x, 1))\" y2=\"50\" stroke=\"\(m.phase == "Completed" ? "#2e7d32" : "#d9534f")\"/>"
        }
        return svg + "</svg>"
    }

    static let sitePalette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]

    /// Flotilla's ready game servers per site over time (a step line per site), and their total (black).
    static func replicaPlot(_ samples: [DemoPools.Sample]) -> String {
        let sites = Set(samples.flatMap { ($0.sites[.flotilla] ?? [:]).keys }).sorted()
        let totals = samples.map { ($0.sites[.flotilla] ?? [:]).values.reduce(0, +) }
        let xMax = max(1, samples.last?.second ?? 1), yMax = Double(max(1, totals.max() ?? 1))
        var svg = "<svg width=\"\(plotWidth)\" height=\"\(plotHeight)\" id=\"replicas\">" + axes(xMax: xMax, yMax: yMax, xLabel: "seconds", yLabel: "servers", budgetMs: nil)
        func line(_ values: [Double], color: String, width: Int) -> String {
            var points: [String] = []
            for (i, sample) in samples.enumerated() {
                if i > 0 { points.append(point(sample.second, values[i - 1], xMax: xMax, yMax: yMax)) }
                points.append(point(sample.second, values[i], xMax: xMax, yMax: yMax))
            }
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(width)\" points=\"\(points.joined(separator: " "))\"/>"
        }
        var legend: [String] = []
        for (i, site) in sites.enumerated() {
            let color = sitePalette[i % sitePalette.count]
            svg += line(samples.map { Double($0.sites[.flotilla]?[site] ?? 0) }, color: color, width: 2)
            legend.append("<span style=\"color:\(color)\">■ \(site)</span>")
        }
        svg += line(totals.map(Double.init), color: "#000", width: 1)
        return svg + "</svg><div class=\"legend\">" + legend.joined() + "<span>■ total</span></div>"
    }

    static func mapSVG(_ map: Map) -> String {
        let scale = 900 / max(map.width, 1)
        let height = map.height * scale
        func xy(_ x: Double, _ y: Double) -> String { "\(format(x * scale, 1)),\(format(height - y * scale, 1))" }
        var svg = "<svg width=\"900\" height=\"\(format(height))\" id=\"map\">"
        for cell in map.cells {
            let color = cell.rat == "WiFi" ? "#9c27b0" : cell.rat == "5G" ? "#1e88e5" : "#78909c"
            let p = xy(cell.x, cell.y).split(separator: ",")
            svg += "<circle cx=\"\(p[0])\" cy=\"\(p[1])\" r=\"3\" fill=\"\(color)\"/>"
        }
        for track in map.tracks where track.count > 1 {
            svg += "<polyline fill=\"none\" stroke=\"#2e7d32\" stroke-opacity=\"0.35\" points=\"\(track.map { xy($0.x, $0.y) }.joined(separator: " "))\"/>"
        }
        for site in map.sites {
            let p = xy(site.x, site.y).split(separator: ",")
            svg += "<rect class=\"site\" x=\"\(Double(p[0])! - 6)\" y=\"\(Double(p[1])! - 6)\" width=\"12\" height=\"12\" fill=\"#000\"/>"
                + "<text x=\"\(Double(p[0])! + 8)\" y=\"\(p[1])\" font-size=\"11\">\(site.name)</text>"
        }
        return svg + "</svg>"
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
