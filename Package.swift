// swift-tools-version: 6.1
import CompilerPluginSupport
import PackageDescription

let package = Package(
    name: "Flotilla",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "flotilla", targets: ["flotilla"]),
        .library(name: "FlotillaAPI", targets: ["FlotillaAPI"]),
        .library(name: "FlotillaStore", targets: ["FlotillaStore"]),
        .library(name: "FlotillaServer", targets: ["FlotillaServer"]),
        .library(name: "FlotillaScheduler", targets: ["FlotillaScheduler"]),
        .library(name: "KubeClient", targets: ["KubeClient"]),
        .library(name: "FlotillaAppKit", targets: ["FlotillaAppKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-certificates", exact: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        .package(url: "https://github.com/apple/swift-collections", exact: "1.6.0"),
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", exact: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", exact: "2.9.2"),
        .package(url: "https://github.com/swiftlang/swift-syntax", exact: "603.0.1"),
    ],
    targets: [
        // Lua 5.1 from Debian (liblua5.1-0-dev, installed by scripts/test), for Karmada's interpreter scripts.
        .systemLibrary(name: "CLua", pkgConfig: "lua5.1", providers: [.apt(["liblua5.1-0-dev"])]),
        // `@FastJSON`: generates a model's non-Codable JSONValue coder from its stored properties (docs/decisions/0004).
        .macro(
            name: "FlotillaMacros",
            dependencies: [
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                .product(name: "SwiftCompilerPlugin", package: "swift-syntax"),
            ]
        ),
        .target(
            name: "FlotillaAPI",
            dependencies: ["CLua", "FlotillaMacros", .product(name: "Yams", package: "Yams")]
        ),
        // The resource interpreter: built-in interpreters per kind and ResourceInterpreterCustomization Lua scripts
        // run in a sandboxed, time- and memory-limited Lua 5.1 state with Karmada's `kube` library.
        .target(name: "FlotillaInterpreter", dependencies: ["FlotillaAPI", "CLua"]),
        .target(
            name: "FlotillaStore",
            dependencies: [
                "FlotillaAPI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // etcd's v3 gRPC API, generated once from etcd's .proto files by scripts/generate-etcd-api (committed).
        .target(
            name: "EtcdAPI",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The etcd storage backend: `StorageBackend` over etcd's KV and Watch APIs, with a per-process watch cache.
        .target(
            name: "FlotillaEtcd",
            dependencies: [
                "FlotillaAPI", "FlotillaStore", "EtcdAPI",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The seam for APIs mounted beside the Kubernetes one (MEC discovery, the dashboard): `APIExtension`, what it
        // answers, and who asks. Small, so that the MEC services need not import the server.
        .target(
            name: "FlotillaAPIExtension",
            dependencies: [
                "FlotillaAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // Pure: no I/O, no clock, no randomness beyond what the input carries.
        .target(name: "FlotillaScheduler", dependencies: ["FlotillaAPI"]),
        .target(
            name: "FlotillaServer",
            dependencies: [
                "FlotillaAPI",
                "FlotillaAPIExtension",
                "FlotillaStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A client for any Kubernetes-compatible API: kubeconfig, typed errors, retries, watches, informers.
        .target(
            name: "KubeClient",
            dependencies: [
                "FlotillaAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What every controller and MEC service stands on: shared informers, the controller loop, member connections,
        // event and status writers, leader election.
        .target(
            name: "FlotillaRuntime",
            dependencies: [
                "FlotillaAPI", "KubeClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Federation: cluster status, detector, scheduling loop, binding, execution, status sync.
        .target(
            name: "FlotillaControllers",
            dependencies: [
                "FlotillaAPI", "FlotillaStore", "FlotillaScheduler", "KubeClient", "FlotillaRuntime", "FlotillaAPIExtension",
                "FlotillaInterpreter",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // KWOK-like simulated edge clusters: the Kubernetes API subset a federation needs, fake kubelets and
        // controllers, in-process runnable workloads, fault injection.
        .target(
            name: "EdgeClusterSim",
            dependencies: [
                "FlotillaAPI", "FlotillaAPIExtension", "FlotillaStore", "FlotillaServer", "FlotillaAppKit", "MobileGame",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "simulator/EdgeClusterSim"
        ),
        // For edge app developers: the state-transfer protocol's server side (SessionTable + routes) on Hummingbird.
        .target(
            name: "FlotillaAppKit",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // MEC services: edge ranking, service registry, discovery, sessions, mobility and state-transfer orchestration.
        .target(
            name: "FlotillaMEC",
            dependencies: [
                "FlotillaAPI", "KubeClient", "FlotillaAppKit", "FlotillaRuntime", "FlotillaAPIExtension",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A site's edge data gateway: GTP-U from the UPFs in, each UE's flow to its session's instance per the
        // control plane's TrafficRules (ETSI MEC 011-shaped), held while the session moves.
        .target(
            name: "FlotillaGateway",
            dependencies: [
                "FlotillaAPI", "KubeClient", "FlotillaRuntime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The mobile-game demo's workload and players: an authoritative 30 Hz game server over UDP (state transfer over
        // HTTP through FlotillaAppKit) and a player that measures its round trips and follows its session's moves.
        .target(
            name: "MobileGame",
            dependencies: [
                "FlotillaAPI", "FlotillaAppKit", "FlotillaGateway",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "simulator/MobileGame"
        ),
        // The simulated 4G/5G/WiFi access network: scenario, radio and mobility models, handover, a deterministic
        // engine, and ETSI MEC 013/012-shaped APIs (plus Flotilla's RTT and control extensions).
        .target(
            name: "AccessNetworkSim",
            dependencies: [
                "FlotillaAPI",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "simulator/AccessNetworkSim"
        ),
        .executableTarget(
            name: "flotilla",
            dependencies: [
                "FlotillaAPI",
                "FlotillaAPIExtension",
                "FlotillaStore",
                "FlotillaEtcd",
                "FlotillaRuntime",
                "FlotillaServer",
                "FlotillaScheduler",
                "FlotillaControllers",
                "KubeClient",
                "EdgeClusterSim",
                "AccessNetworkSim",
                "FlotillaMEC",
                "FlotillaGateway",
                "MobileGame",
                "FlotillaInterpreter",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A child process for the crash-durability test: writes, reports each acknowledged write, gets SIGKILLed.
        .executableTarget(
            name: "StoreCrashWriter",
            dependencies: ["FlotillaAPI", "FlotillaStore"],
            path: "Tests/StoreCrashWriter"
        ),
        // A child process for the migration crash test: runs one migration until the test SIGKILLs it.
        .executableTarget(
            name: "MigrationCrashRunner",
            dependencies: ["FlotillaAPI", "FlotillaStore", "FlotillaControllers", "FlotillaMEC"],
            path: "Tests/MigrationCrashRunner"
        ),
        // Starts real servers on loopback for the server and compatibility tests.
        .target(
            name: "FlotillaTestSupport",
            dependencies: [
                "FlotillaAPI", "FlotillaAPIExtension", "FlotillaStore", "FlotillaServer", "KubeClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/FlotillaTestSupport"
        ),
        .testTarget(name: "FlotillaAPITests", dependencies: ["FlotillaAPI"]),
        .testTarget(name: "FlotillaInterpreterTests", dependencies: ["FlotillaInterpreter", "FlotillaAPI"]),
        .testTarget(
            name: "EdgeClusterSimTests",
            dependencies: ["EdgeClusterSim", "FlotillaAPI", "FlotillaStore", "FlotillaServer", "FlotillaTestSupport"]
        ),
        .testTarget(
            name: "FederationTests",
            dependencies: ["FlotillaControllers", "FlotillaRuntime", "KubeClient", "EdgeClusterSim", "FlotillaAPI", "FlotillaStore", "FlotillaServer",
                           "FlotillaTestSupport", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "AccessNetworkSimTests",
            dependencies: [
                "AccessNetworkSim", "FlotillaAPI", "FlotillaTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "FlotillaGatewayTests",
            dependencies: ["FlotillaGateway", "FlotillaAPI", "FlotillaTestSupport", "FlotillaStore", "FlotillaControllers", "KubeClient",
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .testTarget(name: "FlotillaSchedulerTests", dependencies: ["FlotillaAPI", "FlotillaScheduler"]),
        .testTarget(
            name: "MobileGameTests",
            dependencies: ["MobileGame", "FlotillaAppKit", "FlotillaAPI", "FlotillaMEC", "FlotillaStore", "FlotillaControllers", "KubeClient",
                           "FlotillaTestSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "FlotillaMECTests",
            dependencies: ["MigrationCrashRunner", "FlotillaMEC", "FlotillaAppKit", "FlotillaAPI", "EdgeClusterSim", "AccessNetworkSim", "FlotillaTestSupport",
                           "FlotillaStore", "FlotillaControllers", "KubeClient",
                           .product(name: "AsyncHTTPClient", package: "async-http-client")]
        ),
        .testTarget(
            name: "FlotillaStoreTests",
            dependencies: ["FlotillaAPI", "FlotillaStore", "FlotillaEtcd", "FlotillaTestSupport", "StoreCrashWriter", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "FlotillaServerTests",
            dependencies: [
                "FlotillaAPI", "FlotillaAPIExtension", "FlotillaStore", "FlotillaServer", "FlotillaTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // Drives real kubectl (1.27 and 1.33) and the official Python client against a server the test starts.
        .testTarget(
            name: "CompatTests",
            dependencies: ["FlotillaAPI", "FlotillaStore", "FlotillaServer", "FlotillaTestSupport", "EdgeClusterSim", "FlotillaControllers",
                           "KubeClient", "flotilla", "FlotillaMEC", "AccessNetworkSim", "FlotillaGateway",
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            resources: [.copy("python")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
