import WliveCodec

/// The application close codes (4000–4999) a Wlive connection can end with; docs/PROTOCOL.md lists them.
/// They echo HTTP statuses so an operator can read them at a glance.
extension WebSocketCloseCode {
    /// The handshake was not valid JSON or missed a field (result code -4).
    public static let wliveBadHandshake = WebSocketCloseCode(rawValue: 4400)
    /// The handshake's token was refused (result code -2).
    public static let wliveNotLoggedIn = WebSocketCloseCode(rawValue: 4401)
    /// The handshake named a source that is not configured (result code -3).
    public static let wliveUnknownSource = WebSocketCloseCode(rawValue: 4403)
    /// The handshake named a channel that does not exist (result code 1).
    public static let wliveChannelNotFound = WebSocketCloseCode(rawValue: 4404)
    /// No handshake arrived within `handshake_timeout`.
    public static let wliveHandshakeTimeout = WebSocketCloseCode(rawValue: 4408)
    /// No pong or frame for `heartbeat.dead_after` heartbeat intervals.
    public static let wliveHeartbeatTimeout = WebSocketCloseCode(rawValue: 4409)
    /// The handshake named a channel that has ended (result code 2).
    public static let wliveChannelClosed = WebSocketCloseCode(rawValue: 4410)
    /// The server failed (result code 100).
    public static let wliveInternalError = WebSocketCloseCode(rawValue: 4500)
}
