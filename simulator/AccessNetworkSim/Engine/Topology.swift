import Foundation

/// The scenario compiled for speed: cells as parallel arrays, names resolved to indices, a spatial index of
/// which cells can be heard where, and each site's backhaul resolved per (zone, operator).
public final class Topology: Sendable {
    public let scenario: Scenario
    public let frame: GeoFrame
    public let environment: RadioEnvironment
    public let handover: HandoverParameters
    public let operatorNames: [String]
    public let zoneNames: [String]
    public let cells: [CompiledCell]
    public let sites: [CompiledSite]
    public let index: CellIndex

    public init(_ scenario: Scenario) {
        self.scenario = scenario
        frame = GeoFrame(latitude: scenario.area.latitude, longitude: scenario.area.longitude)
        let environment = RadioEnvironment(scenario.radio)
        self.environment = environment
        handover = HandoverParameters(scenario.handover)
        let operatorNames = scenario.operators.map(\.name)
        let zoneNames = scenario.zones.map(\.name)
        self.operatorNames = operatorNames
        self.zoneNames = zoneNames
        let operatorIndex = Dictionary(uniqueKeysWithValues: operatorNames.enumerated().map { ($1, $0) })
        let zoneIndex = Dictionary(uniqueKeysWithValues: zoneNames.enumerated().map { ($1, $0) })
        let compiled = scenario.cells.enumerated().map { number, cell in
            CompiledCell(cell, number: number, operatorIndex: operatorIndex[cell.operator] ?? 0, zoneIndex: zoneIndex[cell.zone] ?? 0,
                environment: environment)
        }
        cells = compiled
        sites = scenario.sites.map { CompiledSite($0, zones: zoneNames, operators: operatorNames) }
        index = CellIndex(cells: compiled, width: scenario.area.width, height: scenario.area.height)
    }

    public func cellIndex(named name: String) -> Int? { cells.firstIndex { $0.name == name } }
    public func zoneIndex(named name: String) -> Int? { zoneNames.firstIndex(of: name) }
    public func siteIndex(named name: String) -> Int? { sites.firstIndex { $0.name == name || $0.cluster == name } }
}

/// One cell or access point with every default applied and the per-link constants precomputed.
public struct CompiledCell: Sendable {
    public let name: String
    public let number: Int
    public let rat: RAT
    /// `rat`'s position in `RAT.allCases`, for table lookups on the hot path.
    public let ratOrdinal: Int
    public let operatorIndex: Int
    public let zoneIndex: Int
    public let position: Point
    public let model: PropagationModel
    public let txPowerDbm: Double
    public let frequencyGHz: Double
    public let bandwidthMHz: Double
    public let antennaHeight: Double
    public let handoverMode: HandoverMode
    public let accessRttMs: Double
    public let profile: RATProfile
    /// The access round trip and jitter a low-latency QoS flow gets here (the RAT's saving, scaled to this cell's own
    /// access round trip); nil where the RAT cannot give one.
    public var lowLatency: (accessRttMs: Double, accessJitterMs: Double)? {
        profile.lowLatency.map { (accessRttMs * $0.accessRttMs / profile.accessRttMs, $0.accessJitterMs) }
    }
    /// dB subtracted from total power to get power per resource element (0 for WiFi: RSSI is per channel).
    public let perElementOffset: Double
    /// Thermal noise plus noise figure in the bandwidth the signal is measured in (mW).
    public let noiseMilliwatts: Double
    /// The weakest usable signal (RSRP or RSSI, dBm).
    public let threshold: Double
    /// Cells on the same RAT and carrier interfere with each other.
    public let channel: Int
    /// Beyond this distance the cell is too weak to matter, even as interference.
    public let reach: Double

    init(_ cell: Scenario.Cell, number: Int, operatorIndex: Int, zoneIndex: Int, environment: RadioEnvironment) {
        let profile = RATProfile.defaults(for: cell.rat)
        let model = cell.model ?? profile.model
        self.name = cell.name
        self.number = number
        self.rat = cell.rat
        self.ratOrdinal = RAT.allCases.firstIndex(of: cell.rat) ?? 0
        self.operatorIndex = operatorIndex
        self.zoneIndex = zoneIndex
        self.position = Point(x: cell.x, y: cell.y)
        self.model = model
        self.txPowerDbm = cell.txPowerDbm ?? RATProfile.smallCellPower(model) ?? profile.txPowerDbm
        self.frequencyGHz = cell.frequencyGHz ?? profile.frequencyGHz
        self.bandwidthMHz = cell.bandwidthMHz ?? profile.bandwidthMHz
        self.antennaHeight = cell.antennaHeight ?? RATProfile.smallCellHeight(model) ?? profile.antennaHeight
        self.handoverMode = cell.handoverMode ?? .hard
        self.accessRttMs = cell.accessRttMs ?? profile.accessRttMs
        self.profile = profile
        let measuredHz: Double
        if cell.rat == .wifi {
            perElementOffset = 0
            measuredHz = bandwidthMHz * 1e6
            threshold = environment.minRssiDbm
        } else {
            let resourceBlocks = max(1, (bandwidthMHz * 1e6 * 0.9 / (12 * profile.subcarrierKHz * 1e3)).rounded(.down))
            perElementOffset = 10 * log10(12 * resourceBlocks)
            measuredHz = profile.subcarrierKHz * 1e3
            threshold = environment.minRsrpDbm
        }
        noiseMilliwatts = pow(10, (-174 + 10 * log10(measuredHz) + environment.noiseFigureDb) / 10)
        channel = (RAT.allCases.firstIndex(of: cell.rat) ?? 0) &* 1_000_000 &+ Int((frequencyGHz * 1000).rounded())
        // Where a cell stops mattering: the median NLOS link, with one σ of lucky shadowing, is 6 dB below the
        // usability threshold (there it adds under a quarter of the noise as interference). LOS far out is rare
        // (P_LOS falls as 18/d) and is left out.
        let floor = threshold - 6 - model.shadowSigma(los: false, d3D: 1e9)
        let power = txPowerDbm - perElementOffset
        var low = 1.0, high = 50_000.0
        for _ in 0..<40 {
            let mid = (low + high) / 2
            let loss = model.pathLoss(d2D: mid, baseHeight: antennaHeight, ueHeight: environment.ueHeight, frequencyGHz: frequencyGHz, los: false)
            if power - loss >= floor { low = mid } else { high = mid }
        }
        reach = low
    }

    /// How far a UE can be and still use this cell (median LOS), for drawing coverage.
    public func coverageRadius(ueHeight: Double) -> Double {
        var low = 1.0, high = reach
        for _ in 0..<40 {
            let mid = (low + high) / 2
            let loss = model.pathLoss(d2D: mid, baseHeight: antennaHeight, ueHeight: ueHeight, frequencyGHz: frequencyGHz, los: true)
            if txPowerDbm - perElementOffset - loss >= threshold { low = mid } else { high = mid }
        }
        return low
    }
}

/// An edge site with its backhaul resolved into a (zone × operator) table of round trips.
public struct CompiledSite: Sendable {
    public let name: String
    public let cluster: String
    public let position: Point
    public let localZones: [String]
    /// `rtt[zone * operators + operator]` in ms, nil where the site cannot be reached.
    let rtt: [Double?]
    public let jitterMs: Double
    let operatorCount: Int

    init(_ site: Scenario.Site, zones: [String], operators: [String]) {
        name = site.name
        cluster = site.cluster
        position = Point(x: site.x, y: site.y)
        localZones = site.zones
        operatorCount = operators.count
        let backhaul = site.backhaul ?? Scenario.Backhaul()
        jitterMs = backhaul.jitterMs ?? 0.5
        var table: [Double?] = []
        for zone in zones {
            for op in operators {
                table.append(backhaul.zones?[zone] ?? (site.zones.contains(zone) ? (backhaul.localMs ?? 1) : nil)
                    ?? backhaul.operators?[op] ?? backhaul.otherMs)
            }
        }
        rtt = table
    }

    /// Round trip from a zone's breakout (reached through an operator) to this site, if there is a path.
    public func backhaulMs(zone: Int, operator op: Int) -> Double? { rtt[zone * operatorCount + op] }
}

/// A uniform grid over the area; each square lists the cells that can reach some point of it.
public struct CellIndex: Sendable {
    let squareSize: Double
    let columns: Int
    let rows: Int
    let buckets: [[Int32]]

    init(cells: [CompiledCell], width: Double, height: Double) {
        // Squares about a quarter of a typical reach keep lists short without too many squares.
        let typicalReach = cells.isEmpty ? 1000 : cells.map(\.reach).sorted()[cells.count / 2]
        squareSize = max(25, min(typicalReach / 2, max(width, height) / 4))
        columns = max(1, Int((width / squareSize).rounded(.up)))
        rows = max(1, Int((height / squareSize).rounded(.up)))
        var buckets = [[Int32]](repeating: [], count: columns * rows)
        let half = squareSize / 2 * 2.0.squareRoot()
        for (number, cell) in cells.enumerated() {
            let r = cell.reach + half
            let c0 = max(0, Int((cell.position.x - r) / squareSize)), c1 = min(columns - 1, Int((cell.position.x + r) / squareSize))
            let r0 = max(0, Int((cell.position.y - r) / squareSize)), r1 = min(rows - 1, Int((cell.position.y + r) / squareSize))
            if c0 > c1 || r0 > r1 { continue }
            for row in r0...r1 {
                for column in c0...c1 {
                    let centre = Point(x: (Double(column) + 0.5) * squareSize, y: (Double(row) + 0.5) * squareSize)
                    if centre.distance(to: cell.position) <= r { buckets[row * columns + column].append(Int32(number)) }
                }
            }
        }
        self.buckets = buckets
    }

    @inline(__always) func bucket(for point: Point) -> Int {
        let column = min(columns - 1, max(0, Int(point.x / squareSize)))
        let row = min(rows - 1, max(0, Int(point.y / squareSize)))
        return row * columns + column
    }

    /// How many cells a search measures on average (a figure for the benchmark).
    public var averageCandidates: Double { Double(buckets.reduce(0) { $0 + $1.count }) / Double(max(1, buckets.count)) }

    /// Cells that may be heard at `point`.
    @inline(__always) public func candidates(at point: Point) -> [Int32] { buckets[bucket(for: point)] }
}
