// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Wlive",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wlive", targets: ["wlive"]),
        .executable(name: "wlive-load", targets: ["wlive-load"]),
        .library(name: "WliveServer", targets: ["WliveServer"]),
        .library(name: "WliveCodec", targets: ["WliveCodec"]),
        .library(name: "WliveProtocol", targets: ["WliveProtocol"]),
        .library(name: "WliveEngine", targets: ["WliveEngine"]),
        .library(name: "WliveSpam", targets: ["WliveSpam"]),
        .library(name: "WliveLoad", targets: ["WliveLoad"]),
        .library(name: "WliveAPI", targets: ["WliveAPI"]),
        .library(name: "WliveAdmin", targets: ["WliveAdmin"]),
        .library(name: "WliveStore", targets: ["WliveStore"]),
        .library(name: "WliveSQLite", targets: ["WliveSQLite"]),
        .library(name: "WliveDeflate", targets: ["WliveDeflate"]),
        .library(name: "WliveCluster", targets: ["WliveCluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: ["JSON", "YAML"]),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries from Debian, each behind a one-line shim header.
        .systemLibrary(name: "CLibUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CHTTPParser", providers: [.apt(["libhttp-parser-dev"])]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        // hiredis driven by a libuv loop: an event adapter after hiredis's own adapters/libuv.h,
        // which in Debian's 0.14 ignores a poll error (a refused connect would never be reported).
        .target(
            name: "CRedisUV", dependencies: ["CHiredis", "CLibUV"],
            linkerSettings: [.linkedLibrary("hiredis"), .linkedLibrary("uv")]),

        // Codec: RFC 6455 frames, UTF-8, the opening handshake, HTTP/1.1 parsing. No I/O.
        .target(
            name: "WliveCodec",
            dependencies: [
                "CHTTPParser",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Protocol: the Wlive handshake, server messages, result codes, the session state machine. No I/O.
        .target(name: "WliveProtocol", dependencies: ["WliveCodec"]),
        // Engine: channels, subscribers, timers. No I/O.
        .target(name: "WliveEngine", dependencies: ["WliveProtocol"]),
        // Spam rules for posted comments (code 303). No I/O.
        .target(name: "WliveSpam"),
        // What lasts: rooms, watchers and comments as store changes, the durable-store protocol,
        // the API's read model and comment history in memory. No I/O.
        .target(name: "WliveStore", dependencies: ["WliveProtocol"]),
        // `store.kind: sqlite`: the durable store in one SQLite file, with versioned migrations.
        .target(name: "WliveSQLite", dependencies: ["CSQLite", "WliveStore", "WliveProtocol"]),
        // The live HTTP API of seed 000: calls, login tokens, history. No I/O.
        .target(
            name: "WliveAPI",
            dependencies: [
                "WliveCodec", "WliveProtocol", "WliveSpam", "WliveStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]),
        // Operations, an add-on: the admin port's routes, Prometheus metrics, the operator page and
        // the OpenAPI document, from plain snapshots of the gateway. No I/O.
        .target(
            name: "WliveAdmin",
            dependencies: [
                "WliveCodec",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.embedInCode("Resources/admin.html"), .embedInCode("Resources/openapi.yaml")]),
        // permessage-deflate (RFC 7692), an add-on: the negotiation, and zlib compressing a message
        // once for every subscriber and inflating a client's with a size limit. No I/O.
        .target(name: "WliveDeflate", dependencies: ["CZlib", "WliveCodec"]),
        // Several nodes on Redis, an add-on: the key layout, the Lua scripts, the bus's messages and
        // each room's delivery order across nodes. No I/O (the Redis link is WliveServer's).
        .target(
            name: "WliveCluster",
            dependencies: ["WliveProtocol", "WliveStore", .product(name: "Crypto", package: "swift-crypto")]),
        // Configuration: the settings, their defaults and loading them from file, environment and flags.
        .target(
            name: "WliveConfig",
            dependencies: [
                "WliveProtocol", "WliveAPI", "WliveSpam", "WliveStore", "WliveCluster",
                .product(name: "Configuration", package: "swift-configuration"),
            ]),
        // Transport and the embeddable Gateway: libuv loops, TCP, connections.
        .target(
            name: "WliveServer",
            dependencies: [
                "CLibUV", "WliveCodec", "WliveProtocol", "WliveEngine", "WliveConfig", "WliveAPI", "WliveSpam", "WliveAdmin",
                "WliveStore", "WliveSQLite", "WliveDeflate", "WliveCluster", "CHiredis", "CRedisUV",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        // The `wlive` command.
        .executableTarget(
            name: "wlive",
            dependencies: [
                "WliveServer", "WliveConfig", "WliveProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // The load generator (loadtest/): libuv client loops, scenarios, HDR latency, reports.
        .target(
            name: "WliveLoad",
            dependencies: [
                "CLibUV", "CHTTPParser", "WliveCodec", "WliveAPI", "WliveConfig", "WliveServer", "WliveDeflate",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
            ], path: "loadtest/Sources/WliveLoad"),
        .executableTarget(
            name: "wlive-load",
            dependencies: [
                "WliveLoad", "WliveConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "loadtest/Sources/wlive-load"),

        .testTarget(name: "WliveCodecTests", dependencies: ["WliveCodec"]),
        .testTarget(name: "WliveDeflateTests", dependencies: ["WliveDeflate", "WliveCodec"]),
        .testTarget(name: "WliveProtocolTests", dependencies: ["WliveProtocol"]),
        .testTarget(name: "WliveEngineTests", dependencies: ["WliveEngine"]),
        .testTarget(name: "WliveSpamTests", dependencies: ["WliveSpam"]),
        .testTarget(name: "WliveAPITests", dependencies: ["WliveAPI", "WliveSpam", "WliveCodec", "WliveStore"]),
        .testTarget(name: "WliveStoreTests", dependencies: ["WliveStore", "WliveSQLite", "WliveProtocol"]),
        .testTarget(
            name: "WliveConfigTests",
            dependencies: [
                "WliveConfig", .product(name: "Configuration", package: "swift-configuration"),
            ]),
        .testTarget(name: "WliveClusterTests", dependencies: ["WliveCluster", "WliveStore", "WliveProtocol"]),
        .testTarget(name: "WliveAdminTests", dependencies: ["WliveAdmin", "WliveCodec"]),
        .testTarget(name: "WliveServerTests", dependencies: ["WliveServer", "WliveConfig", "WliveCodec"]),
        .testTarget(name: "WliveLoadTests", dependencies: ["WliveLoad", "WliveServer", "WliveConfig", "WliveSpam"]),
    ],
    swiftLanguageModes: [.v6]
)
