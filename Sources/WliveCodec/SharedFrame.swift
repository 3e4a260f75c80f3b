/// An immutable, encoded server frame that many connections write without copying.
///
/// The bytes are allocated once and never change, so any thread may read them; the transport
/// retains the object for as long as a write that points into it is in flight.
// @unchecked: the buffer is written once in init and only read afterwards.
public final class SharedFrame: @unchecked Sendable {
    /// The frame's wire bytes. Valid for the object's lifetime.
    public let bytes: UnsafeRawBufferPointer

    /// Allocates `count` bytes and lets `fill` write them, once.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) -> Void) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 8)
        let used = UnsafeMutableRawBufferPointer(rebasing: storage[..<count])
        fill(used)
        bytes = UnsafeRawBufferPointer(used)
    }

    /// Copies already encoded wire bytes (one frame, or several back to back).
    public convenience init(wireBytes: UnsafeRawBufferPointer) {
        self.init(count: wireBytes.count) { if wireBytes.count > 0 { $0.copyMemory(from: wireBytes) } }
    }

    /// Copies already encoded wire bytes.
    public convenience init(wireBytes: [UInt8]) {
        self.init(count: wireBytes.count) { destination in
            wireBytes.withUnsafeBytes { if $0.count > 0 { destination.copyMemory(from: $0) } }
        }
    }

    /// Encodes one unmasked server frame around `payload`, writing header and payload in place.
    public convenience init(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer) {
        let header = WebSocketFrameEncoder.headerLength(payloadLength: payload.count, masked: false)
        self.init(count: header + payload.count) { destination in
            WebSocketFrameEncoder.writeHeader(into: destination, opcode: opcode, payloadLength: payload.count)
            if payload.count > 0 { UnsafeMutableRawBufferPointer(rebasing: destination[header...]).copyMemory(from: payload) }
        }
    }

    /// Encodes one unmasked server frame around `payload`; `compressed` marks a
    /// permessage-deflate payload (RSV1).
    public convenience init(opcode: WebSocketOpcode, payload: [UInt8], compressed: Bool = false) {
        let header = WebSocketFrameEncoder.headerLength(payloadLength: payload.count, masked: false)
        self.init(count: header + payload.count) { destination in
            WebSocketFrameEncoder.writeHeader(
                into: destination, opcode: opcode, compressed: compressed, payloadLength: payload.count)
            payload.withUnsafeBytes {
                if $0.count > 0 { UnsafeMutableRawBufferPointer(rebasing: destination[header...]).copyMemory(from: $0) }
            }
        }
    }

    /// A text frame carrying `text`.
    public convenience init(text: String) {
        self.init(opcode: .text, payload: Array(text.utf8))
    }

    /// The payload of the unmasked frame these bytes start with (a server frame's).
    public var payload: UnsafeRawBufferPointer {
        guard bytes.count >= 2 else { return UnsafeRawBufferPointer(rebasing: bytes[0..<0]) }
        var length = Int(bytes[1] & 0x7F)
        var header = 2
        if length == 126 {
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            header = 4
        } else if length == 127 {
            length = (2..<10).reduce(0) { $0 << 8 | Int(bytes[$1]) }
            header = 10
        }
        return UnsafeRawBufferPointer(rebasing: bytes[header..<header + length])
    }

    /// The opcode of the frame these bytes start with.
    public var opcode: WebSocketOpcode { WebSocketOpcode(rawValue: bytes[0] & 0x0F)! }

    deinit { UnsafeMutableRawPointer(mutating: bytes.baseAddress!).deallocate() }

    public var count: Int { bytes.count }
}
