/// Turns decoded frames into messages and control events: the receive side of RFC 6455 as a
/// plain state machine with no I/O.
///
/// It reassembles fragmented text and binary messages (control frames may arrive between the
/// fragments), unmasks payloads straight into the message buffer, validates UTF-8 as each
/// fragment arrives, enforces the message size limit, and parses close frames.
public struct WebSocketMessageAssembler: Sendable {
    /// What the connection must do after a frame.
    public enum Action: Equatable, Sendable {
        /// A fragment was absorbed; nothing to do yet.
        case none
        /// A complete text or binary message.
        case message(WebSocketOpcode, [UInt8])
        /// A complete message as permessage-deflate sent it: still compressed, so its UTF-8 is
        /// checked once the transport has inflated it.
        case compressedMessage(WebSocketOpcode, [UInt8])
        /// Answer with a pong carrying the same payload.
        case ping([UInt8])
        case pong([UInt8])
        /// The peer sent a valid close frame; `code` is nil when it carried none.
        case close(code: WebSocketCloseCode?, reason: String)
        /// The peer broke the protocol: close with the error's code and drop the connection.
        case fail(WebSocketProtocolError)
    }

    /// The largest message, summed over its fragments; above it the connection fails with 1009.
    public var maxMessageSize: Int
    private var messageOpcode: WebSocketOpcode?
    /// The message under way came with RSV1 on its first frame.
    private var messageIsCompressed = false
    private var buffer: [UInt8] = []
    private var validator = UTF8Validator()

    public init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// True while a fragmented message is unfinished.
    public var isInsideMessage: Bool { messageOpcode != nil }

    /// The UTF-8 state a frame's payload continues from, when the frame carries text: a fresh
    /// validator for a text frame that starts a message, the message's state for a continuation
    /// of a text message, nil otherwise. Lets a transport check a frame while it still arrives.
    public func textValidator(for header: WebSocketFrameHeader) -> UTF8Validator? {
        switch header.opcode {
        case .text: return messageOpcode == nil && header.reservedBits == 0 ? UTF8Validator() : nil
        case .continuation: return messageOpcode == .text && !messageIsCompressed ? validator : nil
        default: return nil
        }
    }

    /// Consumes one frame whose header was decoded by `WebSocketFrameDecoder`; `payload` is
    /// exactly `header.payloadLength` bytes as they came off the wire (still masked, if masked).
    public mutating func receive(_ header: WebSocketFrameHeader, payload: UnsafeRawBufferPointer) -> Action {
        precondition(payload.count == header.payloadLength)
        if header.opcode.isControl {
            return receiveControl(header, payload: payload)
        }
        switch (header.opcode, messageOpcode) {
        case (.continuation, nil):
            return .fail(.protocolError("continuation without a message"))
        case (.continuation, .some):
            guard header.reservedBits == 0 else { return .fail(.protocolError("RSV1 on a continuation frame")) }
        case (_, .some):
            return .fail(.protocolError("new message inside a fragmented one"))
        case (let opcode, nil):
            messageOpcode = opcode
            messageIsCompressed = header.reservedBits & 0b100 != 0
            buffer = []
            validator = UTF8Validator()
        }
        guard buffer.count + payload.count <= maxMessageSize else {
            return .fail(.init(.messageTooBig, "message too big"))
        }
        let start = buffer.count
        append(payload, key: header.maskingKey)
        if messageOpcode == .text, !messageIsCompressed {
            let fragment = buffer.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[start...]) }
            guard validator.validate(fragment) else {
                return .fail(.init(.invalidPayloadData, "invalid UTF-8"))
            }
        }
        guard header.fin else { return .none }
        let opcode = messageOpcode!
        messageOpcode = nil
        defer { buffer = [] }
        if messageIsCompressed { return .compressedMessage(opcode, buffer) }
        if opcode == .text, !validator.isAtCharacterBoundary {
            return .fail(.init(.invalidPayloadData, "truncated UTF-8"))
        }
        return .message(opcode, buffer)
    }

    private func unmasked(_ payload: UnsafeRawBufferPointer, key: WebSocketMaskingKey?) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: payload.count)
        bytes.withUnsafeMutableBytes { destination in
            if let key {
                key.apply(payload, into: destination)
            } else if payload.count > 0 {
                destination.copyMemory(from: payload)
            }
        }
        return bytes
    }

    private mutating func append(_ payload: UnsafeRawBufferPointer, key: WebSocketMaskingKey?) {
        guard payload.count > 0 else { return }
        let start = buffer.count
        // Grow without zero-filling twice, then unmask straight into the new tail.
        buffer.append(contentsOf: repeatElement(0, count: payload.count))
        buffer.withUnsafeMutableBytes { all in
            let tail = UnsafeMutableRawBufferPointer(rebasing: all[start...])
            if let key { key.apply(payload, into: tail) } else { tail.copyMemory(from: payload) }
        }
    }

    private func receiveControl(_ header: WebSocketFrameHeader, payload: UnsafeRawBufferPointer) -> Action {
        let bytes = unmasked(payload, key: header.maskingKey)
        switch header.opcode {
        case .ping: return .ping(bytes)
        case .pong: return .pong(bytes)
        default: return Self.parseClose(bytes)
        }
    }

    /// Parses a close frame's payload (RFC 6455 section 5.5.1).
    public static func parseClose(_ bytes: [UInt8]) -> Action {
        if bytes.isEmpty { return .close(code: nil, reason: "") }
        guard bytes.count >= 2 else { return .fail(.protocolError("close payload of one byte")) }
        let code = WebSocketCloseCode(rawValue: UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
        guard code.isValidOnWire else { return .fail(.protocolError("invalid close code")) }
        let reason = Array(bytes[2...])
        guard UTF8Validator.isValid(reason) else { return .fail(.init(.invalidPayloadData, "invalid UTF-8 in close reason")) }
        return .close(code: code, reason: String(decoding: reason, as: UTF8.self))
    }
}
