// swift-tools-version:6.0
import PackageDescription

// Layers, imports in one direction only (see ARCHITECTURE.md):
//   GreenCustomsCore ← ReferenceData ← Screening
//   GreenCustomsCore ← Storage
//   ReferenceData, Storage ← ReferenceLibrary (the active reference set, for the CLI and the web app)
//   everything above ← WebApp (Vapor, Leaf) ← greencustoms (CLI, `serve`)
// The look-up and screening code is optimised even in debug builds, so that `swift run` and `swift test` index
// the full CITES list (~40,000 taxa) in a fraction of a second instead of several seconds.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "GreenCustoms",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "greencustoms", targets: ["greencustoms"]),
        .library(name: "GreenCustomsCore", targets: ["GreenCustomsCore"]),
        .library(name: "ReferenceData", targets: ["ReferenceData"]),
        .library(name: "Screening", targets: ["Screening"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "ReferenceLibrary", targets: ["ReferenceLibrary"]),
        .library(name: "WebApp", targets: ["WebApp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/leaf.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/leaf-kit.git", from: "1.14.3"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(name: "GreenCustomsCore", swiftSettings: optimisedInDebug),
        .target(
            name: "ReferenceData",
            dependencies: ["GreenCustomsCore"],
            exclude: ["Bundled/README.md"],
            resources: [.copy("Bundled")],
            swiftSettings: optimisedInDebug
        ),
        .target(name: "Screening", dependencies: ["GreenCustomsCore"], swiftSettings: optimisedInDebug),
        .target(
            name: "Storage",
            dependencies: [
                "GreenCustomsCore",
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "ReferenceLibrary",
            dependencies: ["GreenCustomsCore", "ReferenceData", "Storage"]
        ),
        .target(
            name: "WebApp",
            dependencies: [
                "GreenCustomsCore", "ReferenceData", "Screening", "Storage", "ReferenceLibrary",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "LeafKit", package: "leaf-kit"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Web")]
        ),
        .executableTarget(
            name: "greencustoms",
            dependencies: [
                "GreenCustomsCore", "ReferenceData", "Screening", "Storage", "ReferenceLibrary", "WebApp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Vapor", package: "vapor"),
            ]
        ),
        .target(
            name: "GreenCustomsTestSupport",
            dependencies: ["ReferenceData", "GreenCustomsCore"],
            path: "Tests/GreenCustomsTestSupport"
        ),
        .testTarget(name: "GreenCustomsCoreTests", dependencies: ["GreenCustomsCore"]),
        .testTarget(
            name: "ReferenceDataTests", dependencies: ["ReferenceData", "GreenCustomsCore", "GreenCustomsTestSupport"]),
        .testTarget(
            name: "ScreeningTests",
            dependencies: ["Screening", "ReferenceData", "GreenCustomsCore", "GreenCustomsTestSupport"]),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Storage", "ReferenceData", "GreenCustomsCore", "GreenCustomsTestSupport",
                .product(name: "SQLKit", package: "sql-kit"),
            ]),
        .testTarget(name: "GreenCustomsCLITests", dependencies: ["greencustoms", "GreenCustomsTestSupport"]),
        .testTarget(
            name: "WebAppTests",
            dependencies: [
                "WebApp", "Storage", "Screening", "GreenCustomsCore", "GreenCustomsTestSupport",
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "LeafKit", package: "leaf-kit"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
