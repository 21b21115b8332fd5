/// A scenario file: the area, operators, zones, cells, edge sites, routes and UE populations of one simulated
/// access network. Positions are metres east (`x`) and north (`y`) of the area's south-west corner, which sits at
/// `area.latitude`/`area.longitude`. See docs/access-network-simulator.md for every field and its default.
public struct Scenario: Codable, Sendable {
    public static let currentVersion = "flotilla.io/scenario/v1"

    public var version: String
    public var name: String
    public var seed: UInt64?
    /// Simulated seconds per engine step (default 0.1 s).
    public var step: Double?
    public var area: Area
    public var operators: [Operator]
    public var zones: [Zone]
    public var cells: [Cell]
    public var sites: [Site]
    public var routes: [Route]?
    public var populations: [Population]
    public var radio: RadioSettings?
    public var handover: HandoverSettings?
    /// When present, what the network reports about a UE's round trips (`/ues/{address}/rtt`) is a measurement: taken
    /// every `reportIntervalMs` of simulated time, each site's value a probe's noisy sample, and reported until the
    /// next is taken. Without it the network reports the model's mean now.
    public var measurement: MeasurementSettings?
    /// When present, cells, zones, sites, routes and populations are generated from these parameters
    /// (appended to any listed explicitly).
    public var generate: GeneratorParameters?

    public init(version: String = Scenario.currentVersion, name: String, seed: UInt64? = nil, step: Double? = nil, area: Area,
                operators: [Operator], zones: [Zone], cells: [Cell], sites: [Site], routes: [Route]? = nil,
                populations: [Population], radio: RadioSettings? = nil, handover: HandoverSettings? = nil,
                generate: GeneratorParameters? = nil) {
        self.version = version
        self.name = name
        self.seed = seed
        self.step = step
        self.area = area
        self.operators = operators
        self.zones = zones
        self.cells = cells
        self.sites = sites
        self.routes = routes
        self.populations = populations
        self.radio = radio
        self.handover = handover
        self.generate = generate
    }

    public struct Area: Codable, Sendable {
        public var latitude: Double
        public var longitude: Double
        /// Metres east–west and north–south.
        public var width: Double
        public var height: Double
        public init(latitude: Double, longitude: Double, width: Double, height: Double) {
            self.latitude = latitude
            self.longitude = longitude
            self.width = width
            self.height = height
        }
    }

    public struct Operator: Codable, Sendable {
        public var name: String
        public var mcc: String
        public var mnc: String
        public init(name: String, mcc: String, mnc: String) {
            self.name = name
            self.mcc = mcc
            self.mnc = mnc
        }
    }

    public struct Zone: Codable, Sendable {
        public var name: String
        public init(name: String) { self.name = name }
    }

    public struct Cell: Codable, Sendable {
        public var name: String
        public var `operator`: String
        public var zone: String
        public var rat: RAT
        public var x: Double
        public var y: Double
        /// Total transmit power over the carrier (dBm). Defaults: 4G 46, 5G 43 (UMa) / 33 (UMi), WiFi 20.
        public var txPowerDbm: Double?
        public var frequencyGHz: Double?
        public var bandwidthMHz: Double?
        /// Antenna height in metres. Defaults: UMa 25, UMi 10, WiFi 3.
        public var antennaHeight: Double?
        public var model: PropagationModel?
        /// `hard` (break-before-make, the default) or `daps` (5G make-before-break, no interruption).
        public var handoverMode: HandoverMode?
        /// Radio + core round trip through this cell to the operator's edge breakout, overriding the RAT default.
        public var accessRttMs: Double?

        public init(name: String, operator: String, zone: String, rat: RAT, x: Double, y: Double, txPowerDbm: Double? = nil,
                    frequencyGHz: Double? = nil, bandwidthMHz: Double? = nil, antennaHeight: Double? = nil,
                    model: PropagationModel? = nil, handoverMode: HandoverMode? = nil, accessRttMs: Double? = nil) {
            self.name = name
            self.operator = `operator`
            self.zone = zone
            self.rat = rat
            self.x = x
            self.y = y
            self.txPowerDbm = txPowerDbm
            self.frequencyGHz = frequencyGHz
            self.bandwidthMHz = bandwidthMHz
            self.antennaHeight = antennaHeight
            self.model = model
            self.handoverMode = handoverMode
            self.accessRttMs = accessRttMs
        }
    }

    public struct Site: Codable, Sendable {
        public var name: String
        /// The Flotilla Cluster this site is.
        public var cluster: String
        public var x: Double
        public var y: Double
        /// Zones this site is local to: reached over `backhaul.localMs` unless `backhaul.zones` says otherwise.
        public var zones: [String]
        public var backhaul: Backhaul?
        public init(name: String, cluster: String, x: Double, y: Double, zones: [String], backhaul: Backhaul? = nil) {
            self.name = name
            self.cluster = cluster
            self.x = x
            self.y = y
            self.zones = zones
            self.backhaul = backhaul
        }
    }

    /// Round trip from the operator's breakout for a zone to the site. The most specific entry wins: the zone,
    /// then a served zone (`localMs`), then the operator, then `otherMs`; with none, the site is unreachable.
    public struct Backhaul: Codable, Sendable {
        public var localMs: Double?
        public var zones: [String: Double]?
        public var operators: [String: Double]?
        public var otherMs: Double?
        public var jitterMs: Double?
        public init(localMs: Double? = nil, zones: [String: Double]? = nil, operators: [String: Double]? = nil,
                    otherMs: Double? = nil, jitterMs: Double? = nil) {
            self.localMs = localMs
            self.zones = zones
            self.operators = operators
            self.otherMs = otherMs
            self.jitterMs = jitterMs
        }
    }

    public struct Route: Codable, Sendable {
        public var name: String
        /// `[x, y]` pairs in metres.
        public var waypoints: [[Double]]
        /// Metres per second along the route; per-population `speed` overrides it.
        public var speed: Double?
        /// `loop` (back to the start), `reverse` (walk back along it) or `stop` at the end.
        public var end: RouteEnd?
        public init(name: String, waypoints: [[Double]], speed: Double? = nil, end: RouteEnd? = nil) {
            self.name = name
            self.waypoints = waypoints
            self.speed = speed
            self.end = end
        }
    }

    public enum RouteEnd: String, ScenarioChoice { case loop, reverse, stop }

    public struct Population: Codable, Sendable {
        public var name: String
        public var count: Int
        /// The home operator (the SIM's PLMN).
        public var `operator`: String
        /// Other operators this population may attach to (roaming, open WiFi).
        public var roaming: [String]?
        /// RATs in order of preference; a RAT not listed is never used. Default `[5G, 4G]`.
        public var ratPreference: [RAT]?
        public var mobility: MobilitySpec
        /// The app these UEs use (the AppProfile name discovery will match), if any.
        public var app: String?
        public init(name: String, count: Int, operator: String, roaming: [String]? = nil, ratPreference: [RAT]? = nil,
                    mobility: MobilitySpec, app: String? = nil) {
            self.name = name
            self.count = count
            self.operator = `operator`
            self.roaming = roaming
            self.ratPreference = ratPreference
            self.mobility = mobility
            self.app = app
        }
    }

    public struct MobilitySpec: Codable, Sendable {
        public var model: MobilityKind
        /// `[min, max]` metres per second (default walking, [1.0, 1.8]).
        public var speed: [Double]?
        /// `[min, max]` seconds paused at a waypoint (random waypoint) or dwelling at a place (nomadic).
        public var pause: [Double]?
        /// Routes (by name) the UEs are spread over, for `route`.
        public var routes: [String]?
        /// `[x, y]` places a nomadic UE moves between; default: random points in the area.
        public var places: [[Double]]?
        /// Where static UEs stand, `[x, y]`; default: random points in the area.
        public var position: [Double]?
        public init(model: MobilityKind, speed: [Double]? = nil, pause: [Double]? = nil, routes: [String]? = nil,
                    places: [[Double]]? = nil, position: [Double]? = nil) {
            self.model = model
            self.speed = speed
            self.pause = pause
            self.routes = routes
            self.places = places
            self.position = position
        }
    }

    public enum MobilityKind: String, ScenarioChoice { case `static`, randomWaypoint, route, nomadic }

    public struct RadioSettings: Codable, Sendable {
        public var noiseFigureDb: Double?
        public var ueHeight: Double?
        public var shadowing: Bool?
        /// Cells below this RSRP (4G/5G, dBm) are not usable; default -120.
        public var minRsrpDbm: Double?
        /// WiFi APs below this RSSI (dBm) are not usable; default -82 (MCS 0 at 20 MHz).
        public var minRssiDbm: Double?
        public init(noiseFigureDb: Double? = nil, ueHeight: Double? = nil, shadowing: Bool? = nil, minRsrpDbm: Double? = nil,
                    minRssiDbm: Double? = nil) {
            self.noiseFigureDb = noiseFigureDb
            self.ueHeight = ueHeight
            self.shadowing = shadowing
            self.minRsrpDbm = minRsrpDbm
            self.minRssiDbm = minRssiDbm
        }
    }

    public struct MeasurementSettings: Codable, Sendable {
        /// How often a UE's round trips are measured (ms of simulated time). Default 480, an LTE periodic report.
        public var reportIntervalMs: Double?
        /// Probes averaged per site per report. Default 1.
        public var samples: Int?
        public init(reportIntervalMs: Double? = nil, samples: Int? = nil) {
            self.reportIntervalMs = reportIntervalMs
            self.samples = samples
        }
    }

    public struct HandoverSettings: Codable, Sendable {
        /// A3 offset: a neighbour must be this much stronger (dB). Default 3.
        public var hysteresisDb: Double?
        /// ...for this long (ms). Default 320.
        public var timeToTriggerMs: Double?
        /// Below the usability threshold this long (ms) and the radio link fails (T310). Default 1000.
        public var radioLinkFailureMs: Double?
        /// Interruption when the PLMN changes (detach + attach), `[min, max]` ms. Default [300, 600].
        public var interOperatorMs: [Double]?
        public init(hysteresisDb: Double? = nil, timeToTriggerMs: Double? = nil, radioLinkFailureMs: Double? = nil,
                    interOperatorMs: [Double]? = nil) {
            self.hysteresisDb = hysteresisDb
            self.timeToTriggerMs = timeToTriggerMs
            self.radioLinkFailureMs = radioLinkFailureMs
            self.interOperatorMs = interOperatorMs
        }
    }

    /// Parameters for a generated (large) scenario: a jittered grid of cells per operator, WiFi hotspots, sites
    /// each serving a block of zones, and random-waypoint UEs.
    public struct GeneratorParameters: Codable, Sendable {
        public var operators: Int
        public var cellsPerOperator: Int
        /// Fraction of each operator's cells that are WiFi hotspots (default 0.2); the rest alternate 4G / 5G.
        public var wifiFraction: Double?
        public var zones: Int
        public var sites: Int
        public var ues: Int
        public init(operators: Int, cellsPerOperator: Int, wifiFraction: Double? = nil, zones: Int, sites: Int, ues: Int) {
            self.operators = operators
            self.cellsPerOperator = cellsPerOperator
            self.wifiFraction = wifiFraction
            self.zones = zones
            self.sites = sites
            self.ues = ues
        }
    }
}

public enum RAT: String, ScenarioChoice {
    case lte = "4G"
    case nr = "5G"
    case wifi = "WiFi"
}

public enum PropagationModel: String, ScenarioChoice {
    case uma = "UMa"
    case umi = "UMi"
    case indoorWiFi = "InH-WiFi"
}

public enum HandoverMode: String, ScenarioChoice { case hard, daps }

/// A closed set of names in a scenario file; an unknown one is rejected with the names that are allowed.
public protocol ScenarioChoice: RawRepresentable<String>, CaseIterable, Codable, Sendable, Hashable {}

extension ScenarioChoice {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            let allowed = Self.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown value \"\(text)\"; use one of \(allowed)")
        }
        self = value
    }
}
