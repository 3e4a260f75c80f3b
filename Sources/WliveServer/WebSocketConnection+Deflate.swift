import WliveCodec
import WliveDeflate
import WliveEngine

/// permessage-deflate on a viewer's socket: which form of each message it is sent. A broadcast
/// is compressed once, by the first worker whose subscriber needs it, and every subscriber that
/// negotiated deflate gets that same buffer; messages for one socket alone (acknowledgements,
/// heartbeats) go uncompressed, which the extension allows, so no socket has a compressor.
extension WebSocketConnection {
    /// The form of a channel message this socket is written.
    func frame(for message: ChannelMessage) -> SharedFrame {
        guard let deflate, deflate.compresses(payloadLength: message.frame.payload.count) else { return message.frame }
        return message.encoded(.webSocketDeflated) { loop.deflated($0) }
    }

    /// The ring entries' encoding this socket reads, when every message of a batch goes out in
    /// it (so the batch's I/O vectors can be shared); nil when it depends on each message's size.
    var sharedEncoding: ChannelMessage.Encoding? {
        guard let deflate else { return .webSocket }
        return deflate.serverMaxWindowBits >= 15 ? .webSocketDeflated : nil
    }

    /// An echoed message (the conformance endpoint), compressed when the client negotiated it.
    func echoFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8]) -> SharedFrame {
        let plain = SharedFrame(opcode: opcode, payload: payload)
        guard let deflate, deflate.compresses(payloadLength: payload.count) else { return plain }
        return loop.deflated(plain)
    }
}

extension EventLoop {
    /// `frame` compressed with this loop's compressor, or `frame` itself when that is no smaller.
    func deflated(_ frame: SharedFrame) -> SharedFrame {
        counters.deflatedMessages.add(1, ordering: .relaxed)
        return compressor.compressedFrame(opcode: frame.opcode, payload: frame.payload) ?? frame
    }
}
