import Foundation

/// Draws a scenario as SVG: the area, each cell's coverage (median LOS reach to the usability threshold) coloured by
/// RAT, cells, edge sites, and UE tracks over a simulated run — so a person can see the scenario is what they meant.
public struct ScenarioRenderer {
    public let network: AccessNetwork
    /// Pixels per metre are chosen so the longer side is this wide.
    public var size: Double = 1200

    public init(network: AccessNetwork) { self.network = network }

    /// Runs the network for `seconds` (recording at most `tracks` UEs' positions each second) and draws it.
    public func render(seconds: Double, tracks: Int = 60) -> String {
        let area = network.topology.scenario.area
        let scale = size / max(area.width, area.height)
        let width = area.width * scale, height = area.height * scale
        func px(_ p: Point) -> String { String(format: "%.1f,%.1f", p.x * scale, height - p.y * scale) }
        let followed = Array(0..<min(tracks, network.ueCount))
        var paths = followed.map { [network.positions[$0]] }
        var handovers: [Point] = []
        var next = 1.0
        while network.now + network.stepSeconds <= seconds + 1e-9 {
            network.step()
            for event in network.drainEvents() where event.kind == .handoverCompleted { handovers.append(network.positions[event.ue]) }
            if network.now >= next {
                for (i, ue) in followed.enumerated() { paths[i].append(network.positions[ue]) }
                next += 1
            }
        }
        let colours: [RAT: String] = [.lte: "#1f77b4", .nr: "#d62728", .wifi: "#2ca02c"]
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width) + 220)" height="\(Int(height))" viewBox="0 0 \(Int(width) + 220) \(Int(height))" font-family="sans-serif" font-size="11">
            <title>\(escape(network.topology.scenario.name))</title>
            <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="#f7f7f2" stroke="#444"/>

            """
        for cell in network.topology.cells {
            let r = cell.coverageRadius(ueHeight: network.topology.environment.ueHeight) * scale
            let c = colours[cell.rat] ?? "#777"
            let (x, y) = (cell.position.x * scale, height - cell.position.y * scale)
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%@\" fill-opacity=\"0.06\" stroke=\"%@\" stroke-opacity=\"0.35\"/>\n",
                x, y, r, c, c)
        }
        for (i, path) in paths.enumerated() where path.count > 1 {
            let hue = (i * 47) % 360
            svg += "<polyline fill=\"none\" stroke=\"hsl(\(hue),55%,45%)\" stroke-width=\"1.2\" stroke-opacity=\"0.7\" points=\"\(path.map(px).joined(separator: " "))\"/>\n"
        }
        for point in handovers.prefix(2000) {
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.5\" fill=\"#ff7f0e\"/>\n", point.x * scale, height - point.y * scale)
        }
        for cell in network.topology.cells {
            let c = colours[cell.rat] ?? "#777"
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"6\" fill=\"%@\"><title>%@</title></rect>\n",
                cell.position.x * scale - 3, height - cell.position.y * scale - 3, c, escape("\(cell.name) (\(cell.rat.rawValue))"))
        }
        for site in network.topology.sites {
            let (x, y) = (site.position.x * scale, height - site.position.y * scale)
            svg += String(format: "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"#000\"/>\n", x, y - 8, x + 8, y, x, y + 8, x - 8, y)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">%@</text>\n", x + 10, y + 4, escape("\(site.name) → \(site.cluster)"))
        }
        let legend = [("4G cell and coverage", colours[.lte]!), ("5G cell and coverage", colours[.nr]!), ("WiFi access point", colours[.wifi]!),
                      ("handover", "#ff7f0e"), ("edge site", "#000")]
        for (i, (label, colour)) in legend.enumerated() {
            let y = 20 + i * 18
            svg += "<rect x=\"\(Int(width) + 12)\" y=\"\(y - 9)\" width=\"10\" height=\"10\" fill=\"\(colour)\"/><text x=\"\(Int(width) + 28)\" y=\"\(y)\">\(label)</text>\n"
        }
        svg += "<text x=\"\(Int(width) + 12)\" y=\"\(20 + legend.count * 18 + 10)\">\(followed.count) UE tracks, \(Int(seconds)) s</text>\n"
        svg += "</svg>\n"
        return svg
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
