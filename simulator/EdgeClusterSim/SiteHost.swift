import FlotillaAPI
import Foundation
import Logging

/// Many simulated sites in one process, each on its own port with its own CA, token and kubeconfig.
public actor SiteHost {
    public nonisolated let directory: URL
    public nonisolated let sites: [EdgeSite]

    public init(directory: URL, specs: [SiteSpec], workloads: WorkloadRegistry = .builtin,
                kubelet: KubeletConfiguration = KubeletConfiguration(), clock: any TimeSource = SystemTimeSource(),
                logger: Logger = Logger(label: "flotilla.member")) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        self.directory = directory
        self.sites = try specs.map { spec in
            try EdgeSite(spec: spec, directory: directory, workloads: workloads, kubelet: kubelet, clock: clock, logger: logger)
        }
    }

    public nonisolated func site(named name: String) -> EdgeSite? { sites.first { $0.name == name } }

    /// Starts every site: on `basePort + index` when given, else on free ports. Writes `DIR/sites.json`.
    public func start(basePort: Int? = nil) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, site) in sites.enumerated() {
                group.addTask { try await site.start(port: basePort.map { $0 + index } ?? 0) }
            }
            try await group.waitForAll()
        }
        try await writeIndex()
    }

    public func stop() async {
        await withTaskGroup(of: Void.self) { group in
            for site in sites { group.addTask { await site.stop() } }
        }
    }

    /// What each site is and where to reach it.
    public func summary() async -> [SiteSummary] {
        var result: [SiteSummary] = []
        for site in sites {
            result.append(SiteSummary(name: site.name, state: await site.state.rawValue, port: await site.port,
                kubeconfig: site.kubeconfig.path, region: site.spec.region, zone: site.spec.zone, provider: site.spec.provider,
                latitude: site.spec.latitude, longitude: site.spec.longitude, latency: Self.milliseconds(site.faults.latency),
                partitioned: site.faults.isPartitioned))
        }
        return result
    }

    /// `DIR/sites.json`: the summary, for scripts and the demo.
    func writeIndex() async throws {
        let json = JSONValue.array(await summary().map(\.json))
        try Data(json.serialized()).write(to: directory.appendingPathComponent("sites.json"))
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}

public struct SiteSummary: Sendable, Equatable {
    public var name: String
    public var state: String
    public var port: Int
    public var kubeconfig: String
    public var region: String?
    public var zone: String?
    public var provider: String?
    public var latitude: Double?
    public var longitude: Double?
    public var latency: Int64
    public var partitioned: Bool

    public var json: JSONValue {
        var object: JSONObject = [
            "name": .string(name), "state": .string(state), "port": .integer(Int64(port)), "kubeconfig": .string(kubeconfig),
            "server": .string("https://127.0.0.1:\(port)"), "latencyMilliseconds": .integer(latency), "partitioned": .bool(partitioned),
        ]
        if let region { object["region"] = .string(region) }
        if let zone { object["zone"] = .string(zone) }
        if let provider { object["provider"] = .string(provider) }
        if let latitude { object["latitude"] = .double(latitude) }
        if let longitude { object["longitude"] = .double(longitude) }
        return .object(object)
    }
}
