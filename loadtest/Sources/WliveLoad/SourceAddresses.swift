/// The local IPv4 addresses connections are bound to, round robin, so that many thousands of
/// connections to one server port never run out of ephemeral ports on one source address.
public enum SourceAddresses {
    /// Parses `127.0.0.2-127.0.0.9` (a range within one /24), `127.0.0.2,127.0.0.3`, or a mix.
    public static func parse(_ text: String) throws(ScenarioError) -> [String] {
        var addresses: [String] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let ends = part.split(separator: "-").map(String.init)
            guard let first = octets(ends[0]), ends.count <= 2 else { throw bad(text) }
            guard ends.count == 2 else {
                addresses.append(ends[0])
                continue
            }
            guard let last = octets(ends[1]), first[0..<3] == last[0..<3], first[3] <= last[3] else { throw bad(text) }
            for octet in first[3]...last[3] { addresses.append("\(first[0]).\(first[1]).\(first[2]).\(octet)") }
        }
        guard !addresses.isEmpty else { throw bad(text) }
        return addresses
    }

    private static func octets(_ text: String) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 != nil && (0...255).contains($0!) }) else { return nil }
        return parts.map { $0! }
    }

    private static func bad(_ text: String) -> ScenarioError {
        ScenarioError(
            key: "source_addresses",
            problem: "expected addresses like 127.0.0.2-127.0.0.9 or 127.0.0.2,127.0.0.3, got \"\(text)\"")
    }
}
