import CZlib

/// Inflates a client's compressed messages (RFC 7692 section 7.2.2), with a ceiling on the
/// inflated size so that a small "deflate bomb" cannot grow our memory: past it, the caller
/// closes with 1009. One per connection, made when its first compressed message arrives.
public final class DeflateInflater {
    public enum Failure: Error, Equatable {
        /// The message inflates past the limit.
        case tooBig
        /// Not valid deflate data.
        case corrupt
    }

    private var stream = z_stream()
    /// Whether the client compresses each message on its own: the window is then reset after
    /// every message.
    private let resetsBetweenMessages: Bool

    public init(clientNoContextTakeover: Bool) {
        resetsBetweenMessages = clientNoContextTakeover
        let status = czlib_inflate_init(&stream, -15)
        precondition(status == Z_OK, "inflateInit2 failed: \(status)")
    }

    deinit { inflateEnd(&stream) }

    private static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    /// The inflated message, at most `limit` bytes.
    public func inflate(_ compressed: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        defer { if resetsBetweenMessages { inflateReset(&stream) } }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(max(compressed.count * 4, 256), 1 << 16))
        for input in [compressed, Self.tail] {
            var status: Int32 = Z_OK
            try input.withUnsafeBufferPointer { (source) throws(Failure) in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                repeat {
                    let produced = chunk.withUnsafeMutableBufferPointer { out -> Int in
                        stream.next_out = out.baseAddress
                        stream.avail_out = UInt32(out.count)
                        status = CZlib.inflate(&stream, Z_SYNC_FLUSH)
                        return out.count - Int(stream.avail_out)
                    }
                    guard status == Z_OK || status == Z_BUF_ERROR || status == Z_STREAM_END else { throw .corrupt }
                    guard result.count + produced <= limit else { throw .tooBig }
                    result += chunk[0..<produced]
                    if status == Z_STREAM_END { break }
                    // Z_BUF_ERROR with input left means no progress was possible: broken data.
                    if status == Z_BUF_ERROR, produced == 0, stream.avail_in > 0 { throw .corrupt }
                } while stream.avail_in > 0 || stream.avail_out == 0
            }
            if status == Z_STREAM_END {
                // The client ended its deflate stream (a final block): the next message starts afresh.
                inflateReset(&stream)
                break
            }
        }
        return result
    }
}
