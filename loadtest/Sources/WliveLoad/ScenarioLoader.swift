import Configuration
import Foundation
import SystemPackage

/// Reads a scenario: its YAML file, then the command line's `key=value` overrides on top.
public enum ScenarioLoader {
    /// - Parameters:
    ///   - path: a YAML file of scenario keys; nil starts from the built-in defaults.
    ///   - overrides: `(key, text)` pairs from flags, applied in order after the file.
    public static func load(path: String?, overrides: [(String, String)] = []) async throws -> Scenario {
        var scenario = Scenario()
        if let path {
            let file: FileProvider<YAMLSnapshot>
            do {
                file = try await FileProvider<YAMLSnapshot>(filePath: FilePath(path))
            } catch {
                throw ScenarioError(key: path, problem: "\(error)")
            }
            let reader = ConfigReader(provider: file)
            scenario.name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            for key in Scenario.keys {
                if let text = text(reader, key) { try scenario.set(key, text) }
            }
        }
        for (key, text) in overrides { try scenario.set(key, text) }
        return try scenario.validated()
    }

    /// Parses `key=value` as given to `--set`.
    public static func override(_ argument: String) throws(ScenarioError) -> (String, String) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw ScenarioError(key: argument, problem: "expected key=value")
        }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    /// A scalar as text, whatever type YAML gave it.
    private static func text(_ reader: ConfigReader, _ key: String) -> String? {
        let configKey = ConfigKey(key)
        if let value = try? reader.requiredString(forKey: configKey) { return value }
        if let value = try? reader.requiredInt(forKey: configKey) { return String(value) }
        if let value = try? reader.requiredDouble(forKey: configKey) { return String(value) }
        if let value = try? reader.requiredBool(forKey: configKey) { return String(value) }
        return nil
    }
}
