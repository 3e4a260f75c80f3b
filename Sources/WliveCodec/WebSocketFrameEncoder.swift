/// Encodes WebSocket frames into wire bytes.
public enum WebSocketFrameEncoder {
    /// The header length of a frame with `payloadLength` bytes of payload.
    public static func headerLength(payloadLength: Int, masked: Bool) -> Int {
        let base = payloadLength < 126 ? 2 : (payloadLength <= 0xFFFF ? 4 : 10)
        return masked ? base + 4 : base
    }

    /// Writes a frame header into `destination` and returns the bytes written. `compressed` sets
    /// RSV1, permessage-deflate's mark on a message's first frame (RFC 7692 section 6).
    @discardableResult
    public static func writeHeader(
        into destination: UnsafeMutableRawBufferPointer, opcode: WebSocketOpcode,
        fin: Bool = true, compressed: Bool = false, payloadLength: Int, maskingKey: WebSocketMaskingKey? = nil
    ) -> Int {
        destination[0] = (fin ? 0x80 : 0) | (compressed ? 0x40 : 0) | opcode.rawValue
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        var offset: Int
        if payloadLength < 126 {
            destination[1] = maskBit | UInt8(payloadLength)
            offset = 2
        } else if payloadLength <= 0xFFFF {
            destination[1] = maskBit | 126
            destination[2] = UInt8(payloadLength >> 8)
            destination[3] = UInt8(truncatingIfNeeded: payloadLength)
            offset = 4
        } else {
            destination[1] = maskBit | 127
            for index in 0..<8 {
                destination[2 + index] = UInt8(truncatingIfNeeded: UInt64(payloadLength) >> UInt64(56 - 8 * index))
            }
            offset = 10
        }
        if let key = maskingKey {
            for (index, byte) in key.bytes.enumerated() { destination[offset + index] = byte }
            offset += 4
        }
        return offset
    }

    /// Encodes a whole frame: unmasked as a server sends it, or masked with `maskingKey` as a client must.
    public static func encode(
        opcode: WebSocketOpcode, fin: Bool = true, payload: UnsafeRawBufferPointer,
        maskingKey: WebSocketMaskingKey? = nil
    ) -> [UInt8] {
        let header = headerLength(payloadLength: payload.count, masked: maskingKey != nil)
        return [UInt8](unsafeUninitializedCapacity: header + payload.count) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            writeHeader(into: raw, opcode: opcode, fin: fin, payloadLength: payload.count, maskingKey: maskingKey)
            let body = UnsafeMutableRawBufferPointer(rebasing: raw[header...])
            if let key = maskingKey {
                key.apply(payload, into: body)
            } else if payload.count > 0 {
                body.copyMemory(from: payload)
            }
            count = header + payload.count
        }
    }

    /// Encodes a whole frame from an array payload.
    public static func encode(
        opcode: WebSocketOpcode, fin: Bool = true, payload: [UInt8],
        maskingKey: WebSocketMaskingKey? = nil
    ) -> [UInt8] {
        payload.withUnsafeBytes { encode(opcode: opcode, fin: fin, payload: $0, maskingKey: maskingKey) }
    }

    /// The payload of a close frame: the code in network order, then the UTF-8 reason cut to fit 125 bytes.
    public static func closePayload(code: WebSocketCloseCode, reason: String) -> [UInt8] {
        var payload: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(truncatingIfNeeded: code.rawValue)]
        var reasonBytes = Array(reason.utf8.prefix(123))
        // Never cut a multi-byte character in half: that would make the reason invalid UTF-8.
        while !reasonBytes.isEmpty, !UTF8Validator.isValid(reasonBytes) { reasonBytes.removeLast() }
        payload += reasonBytes
        return payload
    }
}
