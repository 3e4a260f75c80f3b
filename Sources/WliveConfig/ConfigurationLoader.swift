import Configuration
import Foundation
import SystemPackage

/// A configuration value that stops start-up: names the key and says what is wrong, in one line.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public var key: String
    public var problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "invalid configuration: \(key): \(problem)" }
}

/// Builds a `GatewayConfiguration` from, lowest layer first: the built-in defaults, a YAML file,
/// environment variables prefixed `WLIVE_` (`heartbeat.min_interval` ← `WLIVE_HEARTBEAT_MIN_INTERVAL`),
/// and command-line overrides.
public enum ConfigurationLoader {
    /// The file read when no `--config` is given; a missing default file is not an error.
    public static let defaultPath = "config/wlive.yaml"

    /// - Parameters:
    ///   - path: a YAML file; nil reads `defaultPath` if it exists.
    ///   - environment: the variables to read (the process's by default).
    ///   - overrides: values from flags, by key (`ws.port`), typed as the key expects.
    public static func load(
        path: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [String: ConfigValue] = [:]
    ) async throws -> GatewayConfiguration {
        var layers: [any ConfigProvider] = []
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in overrides { flagValues[AbsoluteConfigKey(ConfigKey(key))] = value }
        layers.append(InMemoryProvider(name: "flags", values: flagValues))
        layers.append(EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "wlive"))
        let filePath = path ?? defaultPath
        do {
            layers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(filePath), allowMissing: path == nil))
        } catch {
            throw ConfigurationError(key: "--config \(filePath)", problem: "\(error)")
        }
        layers.append(InMemoryProvider(name: "defaults", values: defaults()))
        return try read(ConfigReader(providers: layers))
    }

    /// The defaults, taken from `GatewayConfiguration()` so they are written down once.
    static func defaults() -> [AbsoluteConfigKey: ConfigValue] {
        let base = GatewayConfiguration()
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        func put(_ key: String, _ content: ConfigContent) {
            values[AbsoluteConfigKey(ConfigKey(key))] = ConfigValue(content, isSecret: false)
        }
        put("host", .string(base.host))
        put("ws.port", .int(base.webSocketPort))
        put("ws.path", .string(base.webSocketPath))
        put("ws.echo_path", .string(base.echoPath ?? ""))
        put("ws.max_message_size", .int(base.maxMessageSize))
        put("ws.max_header_size", .int(base.maxHeaderSize))
        put("ws.request_timeout", .double(base.requestTimeout))
        put("ws.allowed_origins", .stringArray(base.allowedOrigins))
        put("ws.upstream_allowance", .int(base.session.upstreamAllowance))
        put("http.port", .int(base.httpPort))
        put("http.max_header_size", .int(base.apiMaxHeaderSize))
        put("http.max_body_size", .int(base.apiMaxBodySize))
        put("http.request_timeout", .double(base.apiRequestTimeout))
        put("http.max_pending_bytes", .int(base.apiMaxPendingBytes))
        put("ws.max_connections", .int(base.maxConnections))
        put("auth.secrets", .stringArray(base.api.authSecrets))
        put("auth.allow_test", .bool(base.api.allowTest))
        put("channels.node_id", .int(base.api.nodeID))
        put("channels.push_url", .string(base.api.pushURLTemplate))
        put("channels.flv_url", .string(base.api.flvURLTemplate))
        put("channels.rtmp_url", .string(base.api.rtmpURLTemplate))
        put("comment.max_length", .int(base.api.maxCommentLength))
        put("channels.max_per_user", .int(base.api.maxChannelsPerUser))
        put("channels.max_open", .int(base.api.maxOpenChannels))
        put("spam.banned_words_file", .string(base.bannedWordsFile))
        put("spam.banned_words", .bool(base.spam.bannedWords))
        put("spam.contact", .bool(base.spam.contact))
        put("spam.contact_min_digits", .int(base.spam.minContactDigits))
        put("spam.rate_limit_count", .int(base.spam.rateLimitCount))
        put("spam.rate_limit_window", .double(base.spam.rateLimitWindow))
        put("spam.repeat_window", .double(base.spam.repeatWindow))
        put("spam.flood_count", .int(base.spam.floodCount))
        put("spam.flood_window", .double(base.spam.floodWindow))
        put("workers", .int(base.workers))
        put("wlive.handshake_timeout", .double(base.handshakeTimeout))
        put("wlive.sources", .intArray(base.session.allowedSources.sorted()))
        put("heartbeat.min_interval", .int(base.session.heartbeat.minInterval))
        put("heartbeat.max_interval", .int(base.session.heartbeat.maxInterval))
        put("heartbeat.dead_after", .int(base.session.heartbeat.deadAfter))
        put("fanout.max_pending_bytes", .int(base.maxPendingBytes))
        put("fanout.slow_consumer_policy", .string(base.slowConsumerPolicy.rawValue))
        put("fanout.send_buffer", .int(base.socketSendBuffer))
        put("fanout.ring_capacity", .int(base.ringCapacity))
        put("fanout.max_delay", .double(base.maxDelay))
        put("shutdown.timeout", .double(base.shutdownTimeout))
        put("log.level", .string(base.logLevel))
        return values
    }

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Reads and checks every key; the first bad one throws.
    static func read(_ reader: ConfigReader) throws -> GatewayConfiguration {
        var config = GatewayConfiguration()
        let keys = KeyReader(reader: reader)
        config.host = try keys.string("host") { !$0.isEmpty }
        config.webSocketPort = try keys.int("ws.port", 0...65535)
        config.webSocketPath = try keys.string("ws.path", must: "start with /") { $0.hasPrefix("/") }
        let echo = try keys.string("ws.echo_path", must: "be empty or start with /") { $0.isEmpty || $0.hasPrefix("/") }
        config.echoPath = echo.isEmpty ? nil : echo
        config.maxMessageSize = try keys.int("ws.max_message_size", 1...(1 << 30))
        config.maxHeaderSize = try keys.int("ws.max_header_size", 256...(1 << 20))
        config.requestTimeout = try keys.seconds("ws.request_timeout")
        config.allowedOrigins = try keys.strings("ws.allowed_origins")
        config.session.upstreamAllowance = try keys.int("ws.upstream_allowance", 0...1000)
        config.httpPort = try keys.int("http.port", 0...65535)
        config.apiMaxHeaderSize = try keys.int("http.max_header_size", 256...(1 << 20))
        config.apiMaxBodySize = try keys.int("http.max_body_size", 1...(64 << 20))
        config.apiRequestTimeout = try keys.seconds("http.request_timeout")
        config.apiMaxPendingBytes = try keys.int("http.max_pending_bytes", 1024...(1 << 30))
        config.maxConnections = try keys.int("ws.max_connections", 0...(1 << 24))
        config.api.authSecrets = try keys.strings("auth.secrets")
        config.api.allowTest = try keys.bool("auth.allow_test")
        config.api.nodeID = try keys.int("channels.node_id", 0...1023)
        config.api.pushURLTemplate = try keys.string("channels.push_url", must: "contain {channel_id}") {
            $0.contains("{channel_id}")
        }
        config.api.flvURLTemplate = try keys.string("channels.flv_url", must: "contain {channel_id}") {
            $0.contains("{channel_id}")
        }
        config.api.rtmpURLTemplate = try keys.string("channels.rtmp_url", must: "contain {channel_id}") {
            $0.contains("{channel_id}")
        }
        config.api.maxCommentLength = try keys.int("comment.max_length", 1...10000)
        config.api.maxChannelsPerUser = try keys.int("channels.max_per_user", 1...1_000_000)
        config.api.maxOpenChannels = try keys.int("channels.max_open", 1...10_000_000)
        config.bannedWordsFile = try keys.string("spam.banned_words_file") { !$0.isEmpty }
        config.spam.bannedWords = try keys.bool("spam.banned_words")
        config.spam.contact = try keys.bool("spam.contact")
        config.spam.minContactDigits = try keys.int("spam.contact_min_digits", 3...32)
        config.spam.rateLimitCount = try keys.int("spam.rate_limit_count", 1...1_000_000)
        config.spam.rateLimitWindow = try keys.seconds("spam.rate_limit_window")
        config.spam.repeatWindow = try keys.seconds("spam.repeat_window")
        config.spam.floodCount = try keys.int("spam.flood_count", 1...1_000_000)
        config.spam.floodWindow = try keys.seconds("spam.flood_window")
        config.workers = try keys.int("workers", 0...GatewayConfiguration.maxWorkers)
        config.handshakeTimeout = try keys.seconds("wlive.handshake_timeout")
        config.session.allowedSources = Set(try keys.ints("wlive.sources"))
        config.api.allowedSources = config.session.allowedSources
        config.session.heartbeat.minInterval = try keys.int("heartbeat.min_interval", 1...86400)
        config.session.heartbeat.maxInterval = try keys.int(
            "heartbeat.max_interval", config.session.heartbeat.minInterval...86400,
            must: "be at least heartbeat.min_interval and at most 86400")
        config.session.heartbeat.deadAfter = try keys.int("heartbeat.dead_after", 1...100)
        config.maxPendingBytes = try keys.int("fanout.max_pending_bytes", 1024...(1 << 30))
        let policies = SlowConsumerPolicy.allCases.map(\.rawValue)
        config.slowConsumerPolicy = SlowConsumerPolicy(
            rawValue: try keys.string(
                "fanout.slow_consumer_policy", must: "be one of \(policies.joined(separator: ", "))"
            ) { policies.contains($0) })!
        config.socketSendBuffer = try keys.int("fanout.send_buffer", 0...(64 << 20))
        config.ringCapacity = try keys.int("fanout.ring_capacity", 16...(1 << 20), must: "be a power of two from 16 to 1048576")
        guard config.ringCapacity & (config.ringCapacity - 1) == 0 else {
            throw ConfigurationError(key: "fanout.ring_capacity", problem: "\(config.ringCapacity) must be a power of two")
        }
        let maxDelay = try keys.double("fanout.max_delay")
        guard (0...1).contains(maxDelay) else {
            throw ConfigurationError(key: "fanout.max_delay", problem: "\(maxDelay) must be seconds in [0, 1]")
        }
        config.maxDelay = maxDelay
        config.shutdownTimeout = try keys.seconds("shutdown.timeout")
        config.logLevel = try keys.string("log.level", must: "be one of \(logLevels.joined(separator: ", "))") {
            logLevels.contains($0)
        }
        return config
    }
}

/// Reads one key at a time and turns every failure into a `ConfigurationError` naming the key.
private struct KeyReader {
    let reader: ConfigReader

    private func get<T>(_ key: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            throw ConfigurationError(key: key, problem: "\(error)")
        }
    }

    func int(_ key: String, _ range: ClosedRange<Int>, must rule: String? = nil) throws -> Int {
        let value = try get(key) { try reader.requiredInt(forKey: ConfigKey(key)) }
        guard range.contains(value) else {
            throw ConfigurationError(
                key: key, problem: "\(value) must \(rule ?? "be in \(range.lowerBound)...\(range.upperBound)")")
        }
        return value
    }

    func seconds(_ key: String) throws -> Double {
        let value = try get(key) { try reader.requiredDouble(forKey: ConfigKey(key)) }
        guard value > 0, value <= 86400 else {
            throw ConfigurationError(key: key, problem: "\(value) must be seconds in (0, 86400]")
        }
        return value
    }

    func string(_ key: String, must rule: String = "not be empty", _ isValid: (String) -> Bool) throws -> String {
        let value = try get(key) { try reader.requiredString(forKey: ConfigKey(key)) }
        guard isValid(value) else { throw ConfigurationError(key: key, problem: "\"\(value)\" must \(rule)") }
        return value
    }

    func strings(_ key: String) throws -> [String] {
        try get(key) { try reader.requiredStringArray(forKey: ConfigKey(key)) }.filter { !$0.isEmpty }
    }

    func double(_ key: String) throws -> Double {
        try get(key) { try reader.requiredDouble(forKey: ConfigKey(key)) }
    }

    func bool(_ key: String) throws -> Bool {
        try get(key) { try reader.requiredBool(forKey: ConfigKey(key)) }
    }

    func ints(_ key: String) throws -> [Int] {
        try get(key) { try reader.requiredIntArray(forKey: ConfigKey(key)) }
    }
}
