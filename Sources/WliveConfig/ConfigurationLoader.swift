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

    /// The defaults, taken from `GatewayConfiguration()` through the key table, so they are
    /// written down once.
    static func defaults() -> [AbsoluteConfigKey: ConfigValue] {
        let base = GatewayConfiguration()
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for key in ConfigurationKeys.all {
            values[AbsoluteConfigKey(ConfigKey(key.name))] = ConfigValue(key.defaultContent(base), isSecret: false)
        }
        return values
    }

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Reads and checks every key of the table, in its order; the first bad one throws.
    static func read(_ reader: ConfigReader) throws -> GatewayConfiguration {
        var config = GatewayConfiguration()
        let keys = KeyReader(reader: reader)
        for key in ConfigurationKeys.all { try key.read(keys, &config) }
        return config
    }
}

/// Reads one key at a time and turns every failure into a `ConfigurationError` naming the key.
struct KeyReader {
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
