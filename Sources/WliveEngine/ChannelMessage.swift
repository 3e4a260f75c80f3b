import Synchronization
import WliveCodec
import WliveProtocol

/// One entry of a channel's ring: what the message says, what it is, where it stands in the
/// channel's comment sequence, and its encodings, each built at most once, and only once a
/// reader of that kind needs it: the WebSocket text frame (`frame`), the same message
/// compressed for permessage-deflate, and the Server-Sent Events record.
public final class ChannelMessage: @unchecked Sendable {
    // @unchecked: the encodings are published through atomics, once each, and never change.
    public enum Kind: Sendable, Equatable {
        case comment
        case notice
        /// The channel ended: after writing this, close the subscribers normally.
        case closing
    }

    /// The forms a message is written in, one per kind of subscriber. Every one is derived from
    /// the text frame's payload (the message's JSON), so that one is built first.
    public enum Encoding: Int, Sendable, CaseIterable {
        /// An RFC 6455 text frame.
        case webSocket
        /// A permessage-deflate frame (RSV1), compressed once for every subscriber that
        /// negotiated the extension; or the text frame itself when compressing would not help.
        case webSocketDeflated
        /// A `text/event-stream` record (`event:`, `id:`, `data:`).
        case serverSentEvent
    }

    public let kind: Kind
    /// A comment's own `seq`; for anything else, the `seq` of the channel's latest comment when
    /// it was published. So a reader that lost entries knows exactly which comments it lost.
    public let seq: UInt64
    /// What the message says, for every encoding.
    public let message: ServerMessage
    /// When it entered the ring, in monotonic nanoseconds (0: unknown), for the
    /// publish-to-write latency.
    public let publishedAt: UInt64
    /// Each encoding once built: a retained `SharedFrame`'s address, or 0.
    private let frameBits = Atomic<UInt>(0)
    private let deflatedBits = Atomic<UInt>(0)
    private let eventBits = Atomic<UInt>(0)
    private let retractedFlag = Atomic<Bool>(false)

    /// Whether a moderator took this comment back: a replay skips it (and says so in a gap);
    /// live viewers who had it get `comment_deleted`.
    public var isRetracted: Bool { retractedFlag.load(ordering: .acquiring) }

    /// Marks the comment retracted; the producer does, before it publishes the deletion.
    public func retract() { retractedFlag.store(true, ordering: .releasing) }

    public init(_ kind: Kind, seq: UInt64, message: ServerMessage, publishedAt: UInt64 = 0) {
        self.kind = kind
        self.seq = seq
        self.message = message
        self.publishedAt = publishedAt
    }

    /// An entry with its frame already encoded: the producer's, when the channel has
    /// subscribers (so the frame is built once, before any worker races to). `frame` is what
    /// WebSocket writers send, and carries `message` (tests and benchmarks give raw frames).
    public convenience init(_ kind: Kind, seq: UInt64, message: ServerMessage, frame: SharedFrame, publishedAt: UInt64 = 0) {
        self.init(kind, seq: seq, message: message, publishedAt: publishedAt)
        frameBits.store(UInt(bitPattern: Unmanaged.passRetained(frame).toOpaque()), ordering: .releasing)
    }

    deinit {
        Self.release(frameBits)
        Self.release(deflatedBits)
        Self.release(eventBits)
    }

    private static func release(_ slot: borrowing Atomic<UInt>) {
        let bits = slot.load(ordering: .acquiring)
        if bits != 0 { Unmanaged<SharedFrame>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).release() }
    }

    /// The message as one WebSocket text frame, shared by every subscriber.
    public var frame: SharedFrame { Self.cached(frameBits) { SharedFrame(message) } }

    /// The message in `encoding`, built by `build` (from the text frame) the first time a
    /// reader asks, on any thread, and shared from then on. Should two readers race, one
    /// encoding wins and the other is dropped.
    public func encoded(_ encoding: Encoding, build: (SharedFrame) -> SharedFrame) -> SharedFrame {
        switch encoding {
        case .webSocket: return frame
        case .webSocketDeflated: return Self.cached(deflatedBits) { build(frame) }
        case .serverSentEvent: return Self.cached(eventBits) { build(frame) }
        }
    }

    /// Whether `encoding` has been built (for tests).
    public func hasEncoding(_ encoding: Encoding) -> Bool {
        switch encoding {
        case .webSocket: frameBits.load(ordering: .acquiring) != 0
        case .webSocketDeflated: deflatedBits.load(ordering: .acquiring) != 0
        case .serverSentEvent: eventBits.load(ordering: .acquiring) != 0
        }
    }

    /// Whether the WebSocket frame has been built (for tests).
    public var hasFrame: Bool { hasEncoding(.webSocket) }

    private static func cached(_ slot: borrowing Atomic<UInt>, build: () -> SharedFrame) -> SharedFrame {
        let bits = slot.load(ordering: .acquiring)
        if bits != 0 { return Unmanaged<SharedFrame>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).takeUnretainedValue() }
        let built = build()
        let retained = UInt(bitPattern: Unmanaged.passRetained(built).toOpaque())
        let (stored, current) = slot.compareExchange(expected: 0, desired: retained, ordering: .acquiringAndReleasing)
        if stored { return built }
        Unmanaged<SharedFrame>.fromOpaque(UnsafeRawPointer(bitPattern: retained)!).release()
        return Unmanaged<SharedFrame>.fromOpaque(UnsafeRawPointer(bitPattern: current)!).takeUnretainedValue()
    }
}

extension ChannelMessage {
    /// `comments` with each run of retracted ones replaced by one `gap` (`retracted`): a
    /// resuming viewer never sees a comment a moderator took back, and knows its seqs.
    public static func withoutRetracted(_ comments: [ChannelMessage], of channel: ChannelID, now: Int64) -> [ChannelMessage] {
        RetractedRuns.collapse(comments, seq: \.seq, isRetracted: \.isRetracted) { from, to in
            ChannelMessage(
                .notice, seq: to, message: .gap(channelID: channel, fromSeq: from, toSeq: to, reason: .retracted, time: now))
        }
    }
}
