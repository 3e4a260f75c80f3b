/// Decodes frame headers from a byte stream and checks every rule RFC 6455 puts on them.
///
/// The decoder holds no buffer: the transport keeps the bytes and asks again when more arrive,
/// so an idle connection costs nothing here.
public struct WebSocketFrameDecoder: Sendable {
    /// Which side of the connection decodes: a server requires masked frames, a client unmasked ones.
    public enum Role: Sendable { case server, client }

    public let role: Role
    /// The largest payload one frame may announce; above it the connection fails with 1009.
    public var maxPayloadLength: Int
    /// permessage-deflate was negotiated: RSV1 may mark a data frame as compressed (RFC 7692
    /// section 6; `WebSocketMessageAssembler` checks it sits on a message's first frame).
    public var acceptsCompressedFrames = false

    public init(role: Role, maxPayloadLength: Int) {
        self.role = role
        self.maxPayloadLength = maxPayloadLength
    }

    /// Decodes the header at the start of `bytes`, or returns `nil` when more bytes are needed.
    ///
    /// RSV bits are refused, except RSV1 on a data frame once permessage-deflate is negotiated.
    public func decodeHeader(_ bytes: UnsafeRawBufferPointer) throws(WebSocketProtocolError) -> WebSocketFrameHeader? {
        guard bytes.count >= 2 else { return nil }
        let first = bytes[0]
        let second = bytes[1]
        let reservedBits = (first >> 4) & 0x7
        let opcode = WebSocketOpcode(rawValue: first & 0x0F)!
        guard !opcode.isReserved else { throw .protocolError("reserved opcode") }
        if reservedBits != 0 {
            guard reservedBits == 0b100, acceptsCompressedFrames, !opcode.isControl else {
                throw .protocolError("reserved bits set without an extension")
            }
        }
        let fin = first & 0x80 != 0
        let masked = second & 0x80 != 0
        switch role {
        case .server where !masked: throw .protocolError("client frame not masked")
        case .client where masked: throw .protocolError("server frame masked")
        default: break
        }
        var length = Int(second & 0x7F)
        var offset = 2
        if opcode.isControl {
            guard fin else { throw .protocolError("fragmented control frame") }
            guard length <= 125 else { throw .protocolError("control frame over 125 bytes") }
        }
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            var wide: UInt64 = 0
            for index in 2..<10 { wide = wide << 8 | UInt64(bytes[index]) }
            guard wide >> 63 == 0 else { throw .protocolError("payload length with the top bit set") }
            guard wide <= UInt64(maxPayloadLength) else { throw .init(.messageTooBig, "frame too big") }
            length = Int(wide)
            offset = 10
        }
        guard length <= maxPayloadLength else { throw .init(.messageTooBig, "frame too big") }
        var key: WebSocketMaskingKey?
        if masked {
            guard bytes.count >= offset + 4 else { return nil }
            key = WebSocketMaskingKey(loadingFrom: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 4]))
            offset += 4
        }
        return WebSocketFrameHeader(
            fin: fin, reservedBits: reservedBits, opcode: opcode, maskingKey: key,
            payloadLength: length, headerLength: offset)
    }
}
