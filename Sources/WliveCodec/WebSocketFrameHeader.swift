/// The fixed part of a WebSocket frame: everything before the payload (RFC 6455 section 5.2).
public struct WebSocketFrameHeader: Hashable, Sendable {
    public var fin: Bool
    /// The three RSV bits, in the low bits (RSV1 = 0b100).
    public var reservedBits: UInt8
    public var opcode: WebSocketOpcode
    public var maskingKey: WebSocketMaskingKey?
    public var payloadLength: Int
    /// Bytes the header took on the wire: 2 to 14.
    public var headerLength: Int

    /// Header plus payload: the frame's whole length on the wire.
    public var frameLength: Int { headerLength + payloadLength }

    public init(
        fin: Bool, reservedBits: UInt8 = 0, opcode: WebSocketOpcode,
        maskingKey: WebSocketMaskingKey?, payloadLength: Int, headerLength: Int
    ) {
        self.fin = fin
        self.reservedBits = reservedBits
        self.opcode = opcode
        self.maskingKey = maskingKey
        self.payloadLength = payloadLength
        self.headerLength = headerLength
    }
}
