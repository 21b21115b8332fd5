// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Flotilla",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "flotilla", targets: ["flotilla"]),
        .library(name: "FlotillaAPI", targets: ["FlotillaAPI"]),
        .library(name: "FlotillaStore", targets: ["FlotillaStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        .target(
            name: "FlotillaAPI",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "FlotillaStore",
            dependencies: [
                "FlotillaAPI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "flotilla",
            dependencies: [
                "FlotillaAPI",
                "FlotillaStore",
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
        .testTarget(name: "FlotillaAPITests", dependencies: ["FlotillaAPI"]),
        .testTarget(
            name: "FlotillaStoreTests",
            dependencies: ["FlotillaAPI", "FlotillaStore", "StoreCrashWriter"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
