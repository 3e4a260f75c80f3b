// swift-tools-version: 6.1
// libFuzzer harnesses for Wlive's parsers. Build and run with Fuzz/run.sh (see Fuzz/README.md):
// the targets need `-sanitize=fuzzer,address -parse-as-library`.
import PackageDescription

/// The root package's identity: the name of the directory it is checked out in (for a path
/// dependency SwiftPM derives the identity from the path, not from the manifest's name).
let root: String = {
    let parent = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init) ?? "main"
    return parent.lowercased()
}()

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name, dependencies: ["CLibFuzzer", "FuzzSupport"] + products.map { .product(name: $0, package: root) })
}

let package = Package(
    name: "WliveFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        // Declares LLVMFuzzerRunDriver: SwiftPM's Linux link step points `main` at `<Target>_main`,
        // so each target defines that symbol and hands over to libFuzzer's driver from it.
        .systemLibrary(name: "CLibFuzzer"),
        // What several targets share (cutting the input into reads).
        .target(name: "FuzzSupport"),
        fuzzTarget("FuzzFrames", ["WliveCodec", "WliveProtocol"]),
        fuzzTarget("FuzzHTTP", ["WliveCodec"]),
        fuzzTarget("FuzzJSON", ["WliveCodec", "WliveProtocol"]),
        fuzzTarget("FuzzForm", ["WliveAPI", "WliveCodec"]),
        fuzzTarget("FuzzDeflate", ["WliveDeflate"]),
    ],
    swiftLanguageModes: [.v6]
)
