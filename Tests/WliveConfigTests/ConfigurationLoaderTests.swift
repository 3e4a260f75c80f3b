import Configuration
import Foundation
import Testing

@testable import WliveConfig

@Suite("Configuration loading")
struct ConfigurationLoaderTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func temporaryYAML(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wlive-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theShippedFileSaysExactlyTheBuiltInDefaults() async throws {
        let path = Self.repositoryRoot.appendingPathComponent("config/wlive.yaml").path
        let loaded = try await ConfigurationLoader.load(path: path, environment: [:])
        #expect(loaded == GatewayConfiguration())
    }

    @Test func theShippedFileIsTheKeyTableWordForWord() throws {
        // Names, defaults and docs live in one table; the file is printed from it.
        let path = Self.repositoryRoot.appendingPathComponent("config/wlive.yaml").path
        #expect(try String(contentsOfFile: path, encoding: .utf8) == ConfigurationKeys.defaultYAML)
    }

    @Test func everyKeyIsReadAndNamedOnce() {
        let names = ConfigurationKeys.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(ConfigurationLoader.defaults().count == names.count)
    }

    @Test func everyKeyNamedInASettingsDocCommentExists() throws {
        // Three such comments once named keys that do not exist.
        let names = Set(ConfigurationKeys.all.map(\.name))
        for file in [
            "Sources/WliveConfig/GatewayConfiguration.swift", "Sources/WliveAPI/APISettings.swift",
            "Sources/WliveSpam/SpamSettings.swift",
        ] {
            let text = try String(contentsOfFile: Self.repositoryRoot.appendingPathComponent(file).path, encoding: .utf8)
            for match in text.matches(of: /`([a-z_]+(?:\.[a-z_]+)+)`/) {
                #expect(names.contains(String(match.1)), "\(file) names `\(match.1)`, which is no key")
            }
        }
    }

    @Test func flagsBeatEnvironmentBeatsFileBeatsDefaults() async throws {
        let file = try temporaryYAML("ws:\n  port: 1111\n  path: /live\nheartbeat:\n  min_interval: 7\n")
        let fromFile = try await ConfigurationLoader.load(path: file, environment: [:])
        #expect(
            fromFile.webSocketPort == 1111 && fromFile.webSocketPath == "/live" && fromFile.session.heartbeat.minInterval == 7)
        #expect(fromFile.httpPort == GatewayConfiguration().httpPort)
        let fromEnvironment = try await ConfigurationLoader.load(
            path: file,
            environment: ["WLIVE_WS_PORT": "2222", "WLIVE_HEARTBEAT_MIN_INTERVAL": "1", "WLIVE_WLIVE_SOURCES": "2,20"])
        #expect(fromEnvironment.webSocketPort == 2222 && fromEnvironment.session.heartbeat.minInterval == 1)
        #expect(fromEnvironment.session.allowedSources == [2, 20])
        let fromFlags = try await ConfigurationLoader.load(
            path: file, environment: ["WLIVE_WS_PORT": "2222"], overrides: ["ws.port": ConfigValue(.int(3333), isSecret: false)])
        #expect(fromFlags.webSocketPort == 3333)
    }

    @Test(arguments: [
        (["WLIVE_HEARTBEAT_MIN_INTERVAL": "abc"], "heartbeat.min_interval"),
        (["WLIVE_WS_PORT": "70000"], "ws.port"),
        (["WLIVE_HEARTBEAT_MIN_INTERVAL": "50", "WLIVE_HEARTBEAT_MAX_INTERVAL": "10"], "heartbeat.max_interval"),
        (["WLIVE_LOG_LEVEL": "loud"], "log.level"),
        (["WLIVE_WS_PATH": "ws"], "ws.path"),
        (["WLIVE_SHUTDOWN_TIMEOUT": "-1"], "shutdown.timeout"),
        (["WLIVE_WORKERS": "1000"], "workers"),
        (["WLIVE_WORKERS": "65"], "workers"),
        (["WLIVE_CLUSTER_REDIS_URL": "http://127.0.0.1:6379"], "cluster.redis_url"),
    ])
    func badValueStopsStartUpNamingTheKey(environment: [String: String], key: String) async {
        do {
            _ = try await ConfigurationLoader.load(path: nil, environment: environment)
            Issue.record("accepted \(environment)")
        } catch let error as ConfigurationError {
            #expect(error.key == key)
            #expect(!error.description.contains("\n"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func theSkipPolicyBoundsTheKernelSendBufferUnlessOneIsGiven() {
        var configuration = GatewayConfiguration()
        #expect(configuration.effectiveSocketSendBuffer == 0)
        configuration.slowConsumerPolicy = .skip
        #expect(configuration.effectiveSocketSendBuffer == 65536)
        configuration.socketSendBuffer = 1 << 20
        #expect(configuration.effectiveSocketSendBuffer == 1 << 20)
    }

    @Test func theConnectionCapDefaultsBelowTheOpenFileLimit() {
        var configuration = GatewayConfiguration()
        var files = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &files)
        #expect(configuration.effectiveMaxConnections < Int(files.rlim_cur))
        #expect(configuration.effectiveMaxConnections >= Int(files.rlim_cur) * 8 / 10)
        configuration.maxConnections = 7
        #expect(configuration.effectiveMaxConnections == 7)
    }

    @Test func badValueInTheFileNamesTheKey() async throws {
        let file = try temporaryYAML("heartbeat:\n  dead_after: lots\n")
        await #expect(throws: ConfigurationError.self) { try await ConfigurationLoader.load(path: file, environment: [:]) }
    }

    @Test func anExplicitFileMustExist() async {
        await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader.load(path: "/nonexistent/wlive.yaml", environment: [:])
        }
    }
}
