import FlotillaAPI
import Foundation

/// One simulated edge site: where it is, who runs it and what machines it has.
public struct SiteSpec: Sendable, Hashable, Codable {
    public var name: String
    public var region: String?
    public var zone: String?
    public var provider: String?
    /// Number of nodes.
    public var nodes: Int?
    /// Per node.
    public var cpu: Quantity?
    public var memory: Quantity?
    public var pods: Int?
    /// Extra labels on every node of the site.
    public var labels: [String: String]?
    public var latitude: Double?
    public var longitude: Double?

    public init(name: String, region: String? = nil, zone: String? = nil, provider: String? = nil, nodes: Int? = nil,
                cpu: Quantity? = nil, memory: Quantity? = nil, pods: Int? = nil, labels: [String: String]? = nil,
                latitude: Double? = nil, longitude: Double? = nil) {
        self.name = name
        self.region = region
        self.zone = zone
        self.provider = provider
        self.nodes = nodes
        self.cpu = cpu
        self.memory = memory
        self.pods = pods
        self.labels = labels
        self.latitude = latitude
        self.longitude = longitude
    }

    /// Fills what the site leaves out from `defaults`, then from the built-in defaults.
    func resolved(with defaults: SiteDefaults?) -> SiteSpec {
        var site = self
        site.nodes = nodes ?? defaults?.nodes ?? SiteDefaults.builtin.nodes
        site.cpu = cpu ?? defaults?.cpu ?? SiteDefaults.builtin.cpu
        site.memory = memory ?? defaults?.memory ?? SiteDefaults.builtin.memory
        site.pods = pods ?? defaults?.pods ?? SiteDefaults.builtin.pods
        site.provider = provider ?? defaults?.provider
        site.region = region ?? defaults?.region
        site.labels = (defaults?.labels ?? [:]).merging(labels ?? [:]) { _, own in own }
        return site
    }
}

public struct SiteDefaults: Sendable, Hashable, Codable {
    public var nodes: Int?
    public var cpu: Quantity?
    public var memory: Quantity?
    public var pods: Int?
    public var provider: String?
    public var region: String?
    public var labels: [String: String]?

    /// Two modest edge servers per site.
    static let builtin = SiteDefaults(nodes: 2, cpu: Quantity(8), memory: try! Quantity(parsing: "16Gi"), pods: 110)
}

/// The `--profile` file: `kind: SiteProfile` with optional `defaults` and a list of `sites`.
public struct SiteProfile: Sendable, Hashable, Codable {
    public var apiVersion: String?
    public var kind: String?
    public var defaults: SiteDefaults?
    public var sites: [SiteSpec]

    public static let apiVersion = "sim.flotilla.io/v1alpha1"

    public init(defaults: SiteDefaults? = nil, sites: [SiteSpec]) {
        self.apiVersion = Self.apiVersion
        self.kind = "SiteProfile"
        self.defaults = defaults
        self.sites = sites
    }

    /// Parses and validates a profile; every problem is reported with its field path.
    public static func parse(yaml: String) throws(SiteProfileError) -> SiteProfile {
        let value: JSONValue
        do {
            value = try YAMLCodec.decode(yaml)
        } catch {
            throw SiteProfileError(problems: ["not valid YAML: \(error)"])
        }
        let profile: SiteProfile
        do {
            profile = try ObjectDecoder().decode(SiteProfile.self, from: value)
        } catch {
            throw SiteProfileError(problems: ["\(error)"])
        }
        let problems = profile.validate()
        if !problems.isEmpty { throw SiteProfileError(problems: problems) }
        return profile
    }

    public static func load(path: String) throws(SiteProfileError) -> SiteProfile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SiteProfileError(problems: ["cannot read \(path)"])
        }
        return try parse(yaml: String(decoding: data, as: UTF8.self))
    }

    public func validate() -> [String] {
        var problems: [String] = []
        if let apiVersion, apiVersion != Self.apiVersion {
            problems.append("apiVersion: must be \(Self.apiVersion), not \(apiVersion)")
        }
        if let kind, kind != "SiteProfile" { problems.append("kind: must be SiteProfile, not \(kind)") }
        if sites.isEmpty { problems.append("sites: at least one site is required") }
        var names = Set<String>()
        for (index, raw) in sites.enumerated() {
            let site = raw.resolved(with: defaults)
            let at = "sites[\(index)]"
            for problem in NameValidation.dns1123Label(site.name) { problems.append("\(at).name: \"\(site.name)\": \(problem)") }
            if !names.insert(site.name).inserted { problems.append("\(at).name: duplicate site \"\(site.name)\"") }
            if let nodes = site.nodes, !(1...1000).contains(nodes) { problems.append("\(at).nodes: must be between 1 and 1000, not \(nodes)") }
            if let pods = site.pods, !(1...10_000).contains(pods) { problems.append("\(at).pods: must be between 1 and 10000, not \(pods)") }
            if let cpu = site.cpu, cpu.sign <= 0 { problems.append("\(at).cpu: must be positive") }
            if let memory = site.memory, memory.sign <= 0 { problems.append("\(at).memory: must be positive") }
            if let latitude = site.latitude, !(-90...90).contains(latitude) { problems.append("\(at).latitude: must be within ±90") }
            if let longitude = site.longitude, !(-180...180).contains(longitude) { problems.append("\(at).longitude: must be within ±180") }
            for (key, value) in site.labels ?? [:] {
                for problem in NameValidation.qualifiedName(key) { problems.append("\(at).labels: key \"\(key)\": \(problem)") }
                for problem in NameValidation.labelValue(value) { problems.append("\(at).labels[\(key)]: \"\(value)\": \(problem)") }
            }
        }
        return problems
    }

    /// The sites with defaults applied.
    public var resolvedSites: [SiteSpec] { sites.map { $0.resolved(with: defaults) } }

    /// `count` sites named `edge-1`…`edge-N`, spread over three zones of one region, with the built-in capacity.
    public static func generated(count: Int, prefix: String = "edge") -> SiteProfile {
        let zones = ["a", "b", "c"]
        return SiteProfile(sites: (1...max(count, 1)).map { index in
            SiteSpec(name: "\(prefix)-\(index)", region: "region-1", zone: "region-1\(zones[(index - 1) % zones.count])",
                provider: "flotilla-sim")
        })
    }
}

public struct SiteProfileError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "invalid site profile:\n" + problems.map { "  - " + $0 }.joined(separator: "\n") }
}
