import CZlib
import WliveCodec

/// Compresses whole messages for permessage-deflate, each on its own (no context from the one
/// before), so its output suits any subscriber. One per thread: the z_stream is reused, reset
/// between messages, instead of set up per message.
public final class DeflateCompressor {
    private var stream = z_stream()
    private var output: [UInt8] = []
    /// Messages compressed, for metrics and for showing a broadcast is compressed once.
    public private(set) var compressedCount = 0

    /// - Parameters:
    ///   - level: zlib's 1 (fastest) to 9 (smallest); 6 is zlib's own default.
    ///   - windowBits: the LZ77 window, 9...15: what the peer's `server_max_window_bits` allows.
    public init(level: Int32 = 6, windowBits: Int = 15) {
        precondition((9...15).contains(windowBits))
        // Raw deflate (negative window bits): RFC 7692 carries no zlib header.
        let status = czlib_deflate_init(&stream, level, -Int32(windowBits), 8)
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
    }

    deinit { deflateEnd(&stream) }

    /// The compressed form of `payload` as RFC 7692 section 7.2.1 sends it: deflated, flushed to
    /// a byte boundary, without the final empty block's 00 00 FF FF.
    public func compress(_ payload: UnsafeRawBufferPointer) -> [UInt8] {
        compressedCount += 1
        let bound = Int(deflateBound(&stream, UInt(payload.count))) + 16
        if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
        let written = output.withUnsafeMutableBufferPointer { out -> Int in
            stream.next_in = UnsafeMutablePointer(mutating: payload.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = UInt32(payload.count)
            stream.next_out = out.baseAddress
            stream.avail_out = UInt32(out.count)
            let status = deflate(&stream, Z_SYNC_FLUSH)
            precondition(status == Z_OK && stream.avail_in == 0, "deflate failed: \(status)")
            return out.count - Int(stream.avail_out)
        }
        deflateReset(&stream)
        // A sync flush always ends with the empty stored block 00 00 FF FF.
        return Array(output[0..<max(0, written - 4)])
    }

    /// One server frame carrying `payload` compressed (RSV1 set). With `onlyIfSmaller`, nil when
    /// compression would not make it smaller: the plain frame is then as good, and valid on a
    /// deflate connection.
    public func compressedFrame(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, onlyIfSmaller: Bool = true)
        -> SharedFrame?
    {
        let compressed = compress(payload)
        guard compressed.count < payload.count || !onlyIfSmaller else { return nil }
        return SharedFrame(opcode: opcode, payload: compressed, compressed: true)
    }
}
