import WliveProtocol

/// What the API asks of the push tier. `Gateway` provides it; tests can record the calls.
public protocol LiveFanOut: AnyObject {
    /// A channel started: handshakes for it are accepted from now on.
    func openChannel(_ id: ChannelID)
    /// A channel stopped: subscribers get what was published, then `channel_closed` and a close.
    func closeChannel(_ id: ChannelID, reason: String)
    /// Delivers a comment that passed every check: the comment with its id, seq and time, or why
    /// the push tier refused it (the channel unknown or closed there, ...) in the seed's codes.
    func publish(
        channel: ChannelID, userID: String, source: Int, biz: String, content: String,
        extJSON: String, commentType: String
    ) -> Result<Comment, WliveResultCode>
    /// The watcher counts changed (at most once a second per channel): tell the subscribers.
    func announceWatchers(channel: ChannelID, online: Int, total: Int)
}
