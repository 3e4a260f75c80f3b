import Synchronization
import WliveCodec
import WliveProtocol

/// One entry of a channel's ring: what the message says, what it is, where it stands in the
/// channel's comment sequence, and its encodings, each built at most once, and only once a
/// reader of that kind needs it. Today the one kind is the WebSocket text frame (`frame`); an
/// SSE event or a compressed frame would be further kinds, built the same way.
public final class ChannelMessage: @unchecked Sendable {
    // @unchecked: the encodings are published through an atomic, once, and never change.
    public enum Kind: Sendable, Equatable {
        case comment
        case notice
        /// The channel ended: after writing this, close the subscribers normally.
        case closing
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
    /// The WebSocket text frame once built: a retained `SharedFrame`'s address, or 0.
    private let frameBits = Atomic<UInt>(0)
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
        let bits = frameBits.load(ordering: .acquiring)
        if bits != 0 { Unmanaged<SharedFrame>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).release() }
    }

    /// The message as one WebSocket text frame, shared by every subscriber. Built by the first
    /// reader that asks, on any thread; should two race, one frame wins and the other is dropped.
    public var frame: SharedFrame {
        let bits = frameBits.load(ordering: .acquiring)
        if bits != 0 { return Unmanaged<SharedFrame>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).takeUnretainedValue() }
        let built = SharedFrame(message)
        let retained = UInt(bitPattern: Unmanaged.passRetained(built).toOpaque())
        let (stored, current) = frameBits.compareExchange(expected: 0, desired: retained, ordering: .acquiringAndReleasing)
        if stored { return built }
        Unmanaged<SharedFrame>.fromOpaque(UnsafeRawPointer(bitPattern: retained)!).release()
        return Unmanaged<SharedFrame>.fromOpaque(UnsafeRawPointer(bitPattern: current)!).takeUnretainedValue()
    }

    /// Whether the WebSocket frame has been built (for tests).
    public var hasFrame: Bool { frameBits.load(ordering: .acquiring) != 0 }
}

extension ChannelMessage {
    /// `comments` with each run of retracted ones replaced by one `gap` (`retracted`): a
    /// resuming viewer never sees a comment a moderator took back, and knows its seqs.
    public static func withoutRetracted(_ comments: [ChannelMessage], of channel: ChannelID, now: Int64) -> [ChannelMessage] {
        guard comments.contains(where: \.isRetracted) else { return comments }
        var kept: [ChannelMessage] = []
        var run: (from: UInt64, to: UInt64)?
        func closeRun() {
            guard let gone = run else { return }
            kept.append(
                ChannelMessage(
                    .notice, seq: gone.to,
                    message: .gap(channelID: channel, fromSeq: gone.from, toSeq: gone.to, reason: .retracted, time: now)))
            run = nil
        }
        for message in comments {
            if message.isRetracted {
                run = (run?.from ?? message.seq, message.seq)
            } else {
                closeRun()
                kept.append(message)
            }
        }
        closeRun()
        return kept
    }
}
