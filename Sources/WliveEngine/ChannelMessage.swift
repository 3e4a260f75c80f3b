import WliveCodec

/// One entry of a channel's ring: a frame encoded once for every subscriber, what it is, and
/// where it stands in the channel's comment sequence.
public final class ChannelMessage: Sendable {
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
    public let frame: SharedFrame
    /// When it entered the ring, in monotonic nanoseconds (0: unknown), for the
    /// publish-to-write latency.
    public let publishedAt: UInt64

    public init(_ kind: Kind, seq: UInt64, frame: SharedFrame, publishedAt: UInt64 = 0) {
        self.kind = kind
        self.seq = seq
        self.frame = frame
        self.publishedAt = publishedAt
    }
}
