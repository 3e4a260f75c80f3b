// swift-tools-version: 6.1
import PackageDescription

// Micro-benchmarks of the hot paths, run with `swift package benchmark` from this folder.
let package = Package(
    name: "WliveBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Wlive", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "WliveBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "WliveCodec", package: "Wlive"),
                .product(name: "WliveProtocol", package: "Wlive"),
                .product(name: "WliveEngine", package: "Wlive"),
                .product(name: "WliveSpam", package: "Wlive"),
                .product(name: "WliveServer", package: "Wlive"),
                .product(name: "WliveLoad", package: "Wlive"),
            ],
            path: "WliveBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
