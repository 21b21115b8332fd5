import HummingbirdCore
import FlotillaAPI
import FlotillaAPIExtension
import FlotillaStore
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// How to run an API server.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests); the bound port is reported through `onRunning`.
    public var port: Int
    public var tls: Bool
    /// Extra names for the serving certificate besides localhost, 127.0.0.1 and ::1.
    public var extraNames: [String]
    public var bookmarkInterval: Duration
    /// Non-watch requests served at once before new ones get 429 (kube-apiserver's default is 400).
    public var maxRequestsInflight: Int

    public init(host: String = "127.0.0.1", port: Int = 6443, tls: Bool = true, extraNames: [String] = [],
                bookmarkInterval: Duration = .seconds(5), maxRequestsInflight: Int = 400) {
        self.maxRequestsInflight = maxRequestsInflight
        self.host = host
        self.port = port
        self.tls = tls
        self.extraNames = extraNames
        self.bookmarkInterval = bookmarkInterval
    }
}

/// The Flotilla control-plane API server: a Kubernetes-compatible HTTPS API over a `Store`.
public struct APIServer: Sendable {
    public let configuration: ServerConfiguration
    public let store: any Store
    public let registry: ResourceRegistry
    /// `registry` plus the kinds of the stored CustomResourceDefinitions.
    public let served: ServedResources
    public let data: DataDirectory
    public let metrics: ServerMetrics
    let clock: any TimeSource
    let logger: Logger
    let ready = ReadyFlag()
    /// Namespaces created at bootstrap.
    let namespaces: [String]
    /// Consulted before every request; simulated sites inject latency and partitions through it.
    let gate: (any RequestGate)?
    /// Open watches; `watchDrainer` ends them on graceful shutdown.
    public let watches = WatchRegistry()
    /// Non-resource APIs served beside the Kubernetes one (MEC discovery).
    public var extensions: [any APIExtension] = []
    /// Answers `services/{name}/proxy` (simulated sites); nil answers 404.
    public var serviceProxy: (any ServiceProxy)?
    /// Computes the read-only kinds (metrics); nil answers 503 for them.
    public var computedResources: (any ComputedResources)?
    /// Bearer tokens beyond the token file's (catalog bindings).
    public var tokenAuthority: (any TokenAuthority)?

    /// Run beside the application in a `ServiceGroup`, listed after it (see `WatchDrainer`).
    public var watchDrainer: WatchDrainer { WatchDrainer(registry: watches) }

    public init(configuration: ServerConfiguration, data: DataDirectory, store: any Store,
                registry: ResourceRegistry = .controlPlane, clock: any TimeSource = SystemTimeSource(),
                metrics: ServerMetrics = ServerMetrics(), logger: Logger = Logger(label: "flotilla.apiserver"),
                namespaces: [String] = APIServer.systemNamespaces, gate: (any RequestGate)? = nil) {
        self.namespaces = namespaces
        self.gate = gate
        self.configuration = configuration
        self.data = data
        self.store = store
        self.registry = registry
        self.served = ServedResources(base: registry)
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
    }

    /// The namespaces every control plane has.
    public static let systemNamespaces = ["default", "kube-system", "kube-public", "karmada-system", "karmada-cluster"]

    /// Creates the system namespaces that are missing and serves the stored CustomResourceDefinitions' kinds.
    public func bootstrap() async throws {
        try await served.refresh(from: store)
        for name in namespaces {
            guard case .success(let namespace) = Namespace.descriptor.admit(Namespace(name: name).json()) else { continue }
            do {
                _ = try await store.create(Namespace.descriptor.groupResource, namespace, options: .none)
            } catch {
                if error.reason != .alreadyExists { throw error }
            }
        }
        ready.set()
    }

    func tlsConfiguration() throws -> TLSConfiguration {
        let serving = try data.authority.issueServing(
            dnsNames: ["localhost"] + configuration.extraNames.filter { CertificateAuthority.ipBytes($0) == nil },
            ipAddresses: ["127.0.0.1", "::1"] + configuration.extraNames.filter { CertificateAuthority.ipBytes($0) != nil }
                + (configuration.host == "0.0.0.0" || configuration.host == "::" ? [] : [configuration.host]))
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(serving.certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(serving.keyPEM.utf8), format: .pem)))
        // Client certificates are optional (tokens are the other way in) but, when presented, must chain to our CA.
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(data.authority.certificatePEM.utf8), format: .pem)])
        tls.applicationProtocols = ["http/1.1"]
        return tls
    }

    /// The Hummingbird application. `onRunning` receives the bound port once the server listens; `port` overrides
    /// the configured one (a simulated site coming back up where it was); `transportLogger`, when given, takes
    /// Hummingbird's own connection-level messages instead of the server's logger.
    public func makeApplication(port: Int? = nil, transportLogger: Logger? = nil, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws
        -> some ApplicationProtocol
    {
        let ready = self.ready
        let scheme = configuration.tls ? "https" : "http"
        var handler = APIHandler(
            store: store, served: served, authenticator: Authenticator(tokens: data.tokens, authority: tokenAuthority), authorizer: Authorizer(),
            metrics: metrics, clock: clock, version: VersionInfo(flotillaVersion: FlotillaVersion.current),
            isReady: { ready.isSet }, bookmarkInterval: configuration.bookmarkInterval,
            serverAddress: "\(configuration.host):\(configuration.port)", logger: logger,
            inflight: InflightLimiter(limit: configuration.maxRequestsInflight), watches: watches, gate: gate)
        handler.extensions = extensions
        handler.serviceProxy = serviceProxy
        handler.computed = computedResources
        let server: HTTPServerBuilder = configuration.tls ? try .tls(.http1(), tlsConfiguration: tlsConfiguration()) : .http1()
        let data = self.data
        let host = configuration.host
        let logger = self.logger
        return Application(
            responder: handler, server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port ?? configuration.port), serverName: "flotilla"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let urlHost = host.contains(":") ? "[\(host)]" : (host == "0.0.0.0" ? "127.0.0.1" : host)
                do {
                    try data.writeKubeconfigs(server: "\(scheme)://\(urlHost):\(port)")
                } catch {
                    logger.error("cannot write kubeconfigs", metadata: ["error": "\(error)"])
                }
                await onRunning(port)
            },
            logger: transportLogger ?? logger)
    }
}

/// Holds or delays requests before they are served (fault injection); `pass` returns when the request may go on.
public protocol RequestGate: Sendable {
    func pass() async
}

/// Set once the store is open and bootstrapped; `/readyz` reports it.
final class ReadyFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

public enum FlotillaVersion {
    public static let current = "0.2.0"
}
