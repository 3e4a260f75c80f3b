import WliveCodec

/// One entry of a channel's ring: a frame encoded once for every subscriber, and what it is.
public final class ChannelMessage: Sendable {
    public enum Kind: Sendable, Equatable {
        case comment
        case notice
        /// The channel ended: after writing this, close the subscribers normally.
        case closing
    }

    public let kind: Kind
    public let frame: SharedFrame

    public init(_ kind: Kind, frame: SharedFrame) {
        self.kind = kind
        self.frame = frame
    }
}
