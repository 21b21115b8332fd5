import FlotillaAPI
import Foundation

/// What a runnable workload learns about the pod it backs.
public struct WorkloadContext: Sendable {
    public var site: String
    public var namespace: String
    public var pod: String
    public var image: String
    /// The first container's literal `env` values.
    public var environment: [String: String]

    public init(site: String, namespace: String, pod: String, image: String, environment: [String: String] = [:]) {
        self.site = site
        self.namespace = namespace
        self.pod = pod
        self.image = image
        self.environment = environment
    }
}

/// A workload serving on a loopback port for as long as its pod runs.
public protocol RunningWorkload: Sendable {
    var port: Int { get }
    func stop() async
    /// What the workload uses now, by its own model; nil: it idles (`SiteMetrics.idle`).
    var usage: WorkloadUsage? { get }
    /// Whether it still holds something stopping it would lose (sessions not yet moved away): a terminating pod's
    /// kubelet waits for it to be false, up to the pod's grace period, as a preStop hook that drains would.
    var busy: Bool { get }
}

extension RunningWorkload {
    public var usage: WorkloadUsage? { nil }
    public var busy: Bool { false }
}

/// CPU and memory a pod uses, as metrics-server would report it.
public struct WorkloadUsage: Sendable, Hashable {
    public var cpu: Quantity
    public var memory: Quantity

    public init(cpu: Quantity, memory: Quantity) {
        self.cpu = cpu
        self.memory = memory
    }
}

/// An image the simulated sites can actually run in-process.
public struct WorkloadImage: Sendable {
    /// Repository without tag (`flotilla/echo`); every tag of it runs this workload.
    public var repository: String
    public var start: @Sendable (WorkloadContext) async throws -> any RunningWorkload

    public init(repository: String, start: @escaping @Sendable (WorkloadContext) async throws -> any RunningWorkload) {
        self.repository = repository
        self.start = start
    }
}

/// Images a site runs for real. Pods of any other image are simulated only: they get an address but nothing
/// listens there.
public struct WorkloadRegistry: Sendable {
    public private(set) var images: [String: WorkloadImage] = [:]

    public init(_ images: [WorkloadImage] = []) {
        for image in images { register(image) }
    }

    public mutating func register(_ image: WorkloadImage) { images[image.repository] = image }

    /// The workload for an image reference such as `flotilla/echo:1`, `docker.io/flotilla/echo@sha256:…`.
    public func image(for reference: String) -> WorkloadImage? {
        images[Self.repository(of: reference)]
    }

    /// The reference without tag or digest, and without the `docker.io/` or `docker.io/library/` prefix.
    static func repository(of reference: String) -> String {
        var name = reference
        if let at = name.firstIndex(of: "@") { name = String(name[..<at]) }
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") { name = String(name[..<colon]) }
        for prefix in ["docker.io/library/", "docker.io/"] where name.hasPrefix(prefix) {
            name = String(name.dropFirst(prefix.count))
        }
        return name
    }

    /// What every site can run out of the box: the echo service, the stateful counter and the mobile game server.
    public static let builtin = WorkloadRegistry([EchoWorkload.image, CounterWorkload.image, GameWorkload.image])
}
