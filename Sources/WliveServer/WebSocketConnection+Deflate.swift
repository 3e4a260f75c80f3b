import WliveCodec
import WliveDeflate
import WliveEngine

/// Which form of each channel message a viewer's socket is sent: the text frame, the
/// permessage-deflate frame, or the event-stream record (`WebSocketConnection+EventStream`).
///
/// permessage-deflate: A broadcast
/// is compressed once, by the first worker whose subscriber needs it, and every subscriber that
/// negotiated deflate gets that same buffer; messages for one socket alone (acknowledgements,
/// heartbeats) go uncompressed, which the extension allows, so no socket has a compressor.
extension WebSocketConnection {
    /// The form of a channel message this socket is written.
    func frame(for message: ChannelMessage) -> SharedFrame {
        if isEventStream {
            return message.encoded(.serverSentEvent) { ServerSentEvent.record(json: $0.payload, id: message.seq) }
        }
        guard let deflate else { return message.frame }
        // The length matters only under a window the client narrowed (rare): not read otherwise.
        if deflate.serverMaxWindowBits < 15, !deflate.compresses(payloadLength: message.frame.payload.count) {
            return message.frame
        }
        return message.encoded(.webSocketDeflated) { loop.deflated($0) }
    }

    /// The ring entries' encoding this socket reads, when every message of a batch goes out in
    /// it (so the batch's I/O vectors can be shared); nil when it depends on each message's size.
    var sharedEncoding: ChannelMessage.Encoding? {
        if isEventStream { return .serverSentEvent }
        guard let deflate else { return .webSocket }
        return deflate.serverMaxWindowBits >= 15 ? .webSocketDeflated : nil
    }

    /// An echoed message (the conformance endpoint), compressed whenever the client negotiated
    /// deflate, with the window it allowed: a conformance suite checks the compressed path.
    func echoFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8]) -> SharedFrame {
        guard let deflate else { return SharedFrame(opcode: opcode, payload: payload) }
        return payload.withUnsafeBytes {
            loop.compressor(windowBits: deflate.serverMaxWindowBits).compressedFrame(
                opcode: opcode, payload: $0, onlyIfSmaller: false)!
        }
    }
}

extension EventLoop {
    /// `frame` compressed with this loop's compressor, or `frame` itself when that is no smaller.
    func deflated(_ frame: SharedFrame) -> SharedFrame {
        counters.deflatedMessages.add(1, ordering: .relaxed)
        return compressor(windowBits: 15).compressedFrame(opcode: frame.opcode, payload: frame.payload) ?? frame
    }

    /// This loop's compressor for a window: broadcasts use 15; a smaller one only serves the echo path.
    func compressor(windowBits: Int) -> DeflateCompressor {
        if let made = compressors[windowBits] { return made }
        let made = DeflateCompressor(level: Int32(context.configuration.deflateLevel), windowBits: windowBits)
        compressors[windowBits] = made
        return made
    }
}
