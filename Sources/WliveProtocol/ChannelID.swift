/// A channel's numeric id: seed 000 shows 18–19 digit numbers such as `969806108841504768`,
/// carried as strings in JSON because they exceed JavaScript's safe integers.
public struct ChannelID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Parses decimal digits only (no sign, no spaces); nil for anything else or zero.
    public init?(_ text: some StringProtocol) {
        guard !text.isEmpty, text.utf8.count <= 20, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let value = UInt64(text), value > 0
        else { return nil }
        rawValue = value
    }

    public var description: String { String(rawValue) }
    public static func < (lhs: ChannelID, rhs: ChannelID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Whether a channel can take subscribers.
public enum ChannelStatus: Sendable, Equatable {
    case live
    case closed
}
