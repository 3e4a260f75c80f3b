/// A channel's numeric id: seed 000 shows 18–19 digit numbers such as `969806108841504768`,
/// carried as strings in JSON because they exceed JavaScript's safe integers.
public struct ChannelID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Parses decimal digits only (no sign, no spaces); nil for anything else or zero.
    public init?(_ text: some StringProtocol) {
        // By hand over the UTF-8 bytes: every API call and handshake parses one.
        var value: UInt64 = 0
        var digits = 0
        for byte in text.utf8 {
            guard byte >= 0x30, byte <= 0x39, digits < 20 else { return nil }
            let (times10, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, carried) = times10.addingReportingOverflow(UInt64(byte - 0x30))
            guard !overflowed, !carried else { return nil }
            value = sum
            digits += 1
        }
        guard value > 0 else { return nil }
        rawValue = value
    }

    public var description: String { String(rawValue) }
    public static func < (lhs: ChannelID, rhs: ChannelID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A room's state: the one enum the API, the push tier and their stores share. The cases are
/// seed 001's seven live states, by their codes; seed 000 shows them as `NORMAL` or `CLOSED`.
/// `RoomEvent`s move a room between them; docs/ROOM_STATES.md draws the diagram.
public enum ChannelState: Int, Sendable, Equatable, Codable, CaseIterable {
    case live = 101
    case notStarted = 102
    case ended = 103
    case banned = 104
    case paused = 105
    case abnormal = 106
    case expired = 107

    /// Whether the room is over for good: no viewer, comment or change any more.
    public var isFinal: Bool {
        switch self {
        case .ended, .banned, .expired: return true
        case .live, .notStarted, .paused, .abnormal: return false
        }
    }

    /// Whether comments are accepted: only while live.
    public var acceptsComments: Bool { self == .live }

    /// The state's name in snake case (`live`, `not_started`, ...), for people and dashboards.
    public var name: String {
        switch self {
        case .live: return "live"
        case .notStarted: return "not_started"
        case .ended: return "ended"
        case .banned: return "banned"
        case .paused: return "paused"
        case .abnormal: return "abnormal"
        case .expired: return "expired"
        }
    }

    /// Seed 000's `status` field: `NORMAL` until the room is over, then `CLOSED`.
    public var seedStatus: String { isFinal ? "CLOSED" : "NORMAL" }

    /// The state `event` moves the room to; nil when the event does not apply in this state
    /// (a final state takes none).
    public func after(_ event: RoomEvent) -> ChannelState? {
        switch (self, event) {
        case (_, _) where isFinal: return nil
        case (_, .stop): return .ended
        case (_, .ban): return .banned
        case (.notStarted, .goLive), (.paused, .resume), (.abnormal, .anchorBack): return .live
        case (.notStarted, .planExpired): return .expired
        case (.live, .pause): return .paused
        case (.live, .anchorLost): return .abnormal
        case (.abnormal, .graceExpired): return .ended
        default: return nil
        }
    }
}

/// What moves a room from one `ChannelState` to another.
public enum RoomEvent: String, Sendable, Equatable, CaseIterable {
    /// The anchor of a planned room goes live (its first `anchorHeartbeat`, or `resumeLive`).
    case goLive = "go_live"
    /// The owner pauses (`pauseLive`) and resumes (`resumeLive`).
    case pause, resume
    /// The anchor's presence stopped for `live.anchor_timeout`, and came back.
    case anchorLost = "anchor_lost"
    case anchorBack = "anchor_back"
    /// An abnormal room stayed so for `live.abnormal_grace`: it ends ("abnormal timeout").
    case graceExpired = "grace_expired"
    /// A planned room's `plan_end_time` passed before it went live.
    case planExpired = "plan_expired"
    /// The owner stops the room (`stopLive`).
    case stop
    /// An admin bans the room (`banLive`).
    case ban
}
