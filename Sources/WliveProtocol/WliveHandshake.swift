import Foundation
import WliveCodec

/// The JSON a client sends right after the WebSocket opens (seed 000, section 1.11), plus the
/// channel it wants. docs/PROTOCOL.md is the contract.
public struct WliveHandshake: Sendable, Equatable {
    public var userID: String
    public var source: Int
    public var appID: String
    public var sdkVersion: String
    public var version: String
    public var osType: String
    public var osVersion: String
    public var clientType: String
    public var clientVersion: String
    public var deviceID: String
    public var deviceType: String
    /// The seed spells it `im_toklen`; `im_token` is accepted too. Live clients send it empty.
    public var imToken: String
    /// Seconds between heartbeats the client asked for, before clamping.
    public var timerInterval: Int
    public var channelID: ChannelID
    /// Where a reconnecting client stands: the last `seq` it saw, and the `epoch` it saw it in
    /// (nil: a fresh viewer). The server replays what came after, then the live stream.
    public var resume: ResumePoint?

    /// The token: `im_toklen` (the seed's spelling) or `im_token`, whichever is not blank, so
    /// a client that fills in one beside the seed's fixed empty other still sends it.
    private static func token(_ object: [String: JSONObjectFields.Member]) -> String {
        let given = [object["im_toklen"], object["im_token"]].compactMap { scalarString($0) }
        return given.first { !$0.allSatisfy(\.isWhitespace) } ?? given.first ?? ""
    }

    /// Fields that must be present and non-empty. `user_id` and `im_toklen` are listed by the
    /// seed but "fixed empty" for live clients, so they may be absent or empty.
    public static let requiredStringFields = [
        "appid", "sdk_version", "version", "os_type", "os_version", "client_type",
        "client_version", "device_id", "device_type",
    ]

    /// Parses the handshake text. `query` holds the upgrade URL's query fields: `channel_id`,
    /// `since_seq` and `epoch` there are used when the JSON has none.
    public static func parse(_ text: [UInt8], query: [String: String] = [:]) -> Result<WliveHandshake, WliveHandshakeError> {
        // One pass without Foundation: every viewer's connection starts here.
        guard let object = try? JSONObjectFields.members(text) else {
            return .failure(.init(.invalidParameter, "handshake must be a JSON object"))
        }
        for name in requiredStringFields {
            guard let value = scalarString(object[name]), !value.isEmpty else {
                return .failure(.init(.invalidParameter, "missing or empty field: \(name)"))
            }
        }
        for (name, member) in object where member.kind == .string || member.kind == .number {
            let limit = name == "im_toklen" || name == "im_token" ? maxTokenBytes : maxFieldBytes
            guard member.text.utf8.count <= limit else {
                return .failure(.init(.invalidParameter, "field \(name) is longer than \(limit) bytes"))
            }
        }
        // Checked just above: present, a string or a number, not empty.
        func field(_ name: String) -> String { object[name]!.text }
        guard let sourceValue = object["source"] else { return .failure(.init(.invalidParameter, "missing field: source")) }
        guard let source = integer(sourceValue) else { return .failure(.init(.invalidParameter, "source must be an integer")) }
        guard let intervalValue = object["timer_interval"] else {
            return .failure(.init(.invalidParameter, "missing field: timer_interval"))
        }
        guard let interval = integer(intervalValue), interval > 0 else {
            return .failure(.init(.invalidParameter, "timer_interval must be a positive integer"))
        }
        let channelText = scalarString(object["channel_id"]) ?? query["channel_id"]
        guard let channelText, !channelText.isEmpty else {
            return .failure(.init(.invalidParameter, "missing field: channel_id"))
        }
        guard let channelID = ChannelID(channelText) else {
            return .failure(.init(.invalidParameter, "channel_id must be a positive decimal number"))
        }
        var resume: ResumePoint?
        if let sinceText = scalarString(object["since_seq"]) ?? query["since_seq"] {
            guard let since = UInt64(sinceText) else {
                return .failure(.init(.invalidParameter, "since_seq must be a non-negative integer"))
            }
            let epochText = scalarString(object["epoch"]) ?? query["epoch"]
            guard epochText == nil || UInt64(epochText!) != nil else {
                return .failure(.init(.invalidParameter, "epoch must be a non-negative integer"))
            }
            resume = ResumePoint(sinceSeq: since, epoch: epochText.flatMap { UInt64($0) })
        }
        return .success(
            WliveHandshake(
                userID: scalarString(object["user_id"]) ?? "",
                source: source,
                appID: field("appid"), sdkVersion: field("sdk_version"), version: field("version"),
                osType: field("os_type"), osVersion: field("os_version"), clientType: field("client_type"),
                clientVersion: field("client_version"), deviceID: field("device_id"), deviceType: field("device_type"),
                imToken: token(object),
                timerInterval: interval, channelID: channelID, resume: resume))
    }

    /// A JSON string, or a number written as its decimal text; nil for anything else.
    static func scalarString(_ value: JSONObjectFields.Member?) -> String? {
        guard let value, value.kind == .string || value.kind == .number else { return nil }
        return value.text
    }

    /// A JSON integer, or a string of one (`"180"`); nil for fractions, booleans and the rest.
    /// An integer too large for `Int` saturates: `timer_interval` is clamped into its range anyway,
    /// and a huge `source` is simply not an allowed one.
    static func integer(_ value: JSONObjectFields.Member) -> Int? {
        let text: Substring
        switch value.kind {
        case .string: text = Substring(value.text).trimmingASCIIWhitespace()
        case .number: text = Substring(value.text)
        default: return nil
        }
        if let number = Int(text) { return number }
        let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : text
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return text.first == "-" ? Int.min : Int.max
    }

    /// Longest value of a string field, in UTF-8 bytes: long enough for any real client, short
    /// enough that no field can carry a payload (a letter with thousands of combining marks).
    public static let maxFieldBytes = 256
    /// `im_toklen` may carry a signed token, so it gets more room.
    public static let maxTokenBytes = 1024
}

/// A refused handshake: the result code and the message for the client.
public struct WliveHandshakeError: Error, Sendable, Equatable {
    public var code: WliveResultCode
    public var message: String

    public init(_ code: WliveResultCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// Where a reconnecting viewer stands in its room's comments.
public struct ResumePoint: Sendable, Equatable {
    /// The last `seq` it received (exclusive start of the replay; 0: from the oldest retained).
    public var sinceSeq: UInt64
    /// The room's epoch it received that seq in; nil: the client did not say.
    public var epoch: UInt64?

    public init(sinceSeq: UInt64, epoch: UInt64? = nil) {
        self.sinceSeq = sinceSeq
        self.epoch = epoch
    }
}
