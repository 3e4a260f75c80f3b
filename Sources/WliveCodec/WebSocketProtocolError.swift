/// A violation of RFC 6455 by the peer, with the close code the connection must be failed with.
public struct WebSocketProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The close code to send before dropping the connection.
    public let closeCode: WebSocketCloseCode
    /// A short human-readable reason, safe to put in a close frame (ASCII, under 123 bytes).
    public let reason: String

    public init(_ closeCode: WebSocketCloseCode, _ reason: String) {
        self.closeCode = closeCode
        self.reason = reason
    }

    public var description: String { "\(closeCode.rawValue) \(reason)" }

    static func protocolError(_ reason: String) -> Self { .init(.protocolError, reason) }
}
