#if canImport(Glibc)
    import Glibc
#endif

/// The load generator's stamp in every comment it posts: when it was sent and where it stands
/// in its channel, so a receiver can measure latency and check loss and order.
///
/// Its text, `wlt=<ns>;wls=<seq>;`, holds no quote or backslash, so it passes through JSON
/// escaping unchanged and is found the same way in a Wlive comment message (inside `ext_json`)
/// and in the raw body another push server relays.
public struct CommentStamp: Equatable, Sendable {
    /// `CLOCK_MONOTONIC` nanoseconds at the moment the post was written. The clock is system-wide,
    /// so a receiver in another process on the same machine can subtract it.
    public var sentAt: UInt64
    /// The comment's place in its channel, from 1; 0 marks a spam probe that must never arrive.
    public var sequence: UInt64

    public init(sentAt: UInt64, sequence: UInt64) {
        self.sentAt = sentAt
        self.sequence = sequence
    }

    public var text: String { "wlt=\(sentAt);wls=\(sequence);" }

    private static let timeTag: [UInt8] = Array("wlt=".utf8)
    private static let sequenceTag: [UInt8] = Array("wls=".utf8)

    /// The first stamp in `payload`, or nil when it has none (a heartbeat, a notice).
    public static func find(in payload: UnsafeRawBufferPointer) -> CommentStamp? {
        guard payload.count >= 12, let start = payload.firstIndex(of: timeTag) else { return nil }
        var offset = start + timeTag.count
        guard let time = number(payload, &offset), payload.has(sequenceTag, at: offset) else { return nil }
        offset += sequenceTag.count
        guard let sequence = number(payload, &offset) else { return nil }
        return CommentStamp(sentAt: time, sequence: sequence)
    }

    /// Digits up to a `;`, which is consumed.
    private static func number(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            if byte == UInt8(ascii: ";") { return digits > 0 ? value : nil }
            guard byte &- UInt8(ascii: "0") < 10, digits < 19 else { return nil }
            value = value * 10 + UInt64(byte &- UInt8(ascii: "0"))
            digits += 1
        }
        return nil
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds.
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// The stamp of a deletion: `wld=<ns>;`, sent in `deleteComment`'s `reason` and found again in
/// the `comment_deleted` message, for the deletion's latency.
public struct DeletionStamp: Equatable, Sendable {
    public var sentAt: UInt64

    public init(sentAt: UInt64) { self.sentAt = sentAt }

    public var text: String { "wld=\(sentAt);" }

    private static let tag: [UInt8] = Array("wld=".utf8)

    public static func find(in payload: UnsafeRawBufferPointer) -> DeletionStamp? {
        guard let start = payload.firstIndex(of: tag) else { return nil }
        var value: UInt64 = 0
        var offset = start + tag.count
        var digits = 0
        while offset < payload.count, payload[offset] &- UInt8(ascii: "0") < 10, digits < 19 {
            value = value * 10 + UInt64(payload[offset] &- UInt8(ascii: "0"))
            offset += 1
            digits += 1
        }
        guard digits > 0, offset < payload.count, payload[offset] == UInt8(ascii: ";") else { return nil }
        return DeletionStamp(sentAt: value)
    }
}
