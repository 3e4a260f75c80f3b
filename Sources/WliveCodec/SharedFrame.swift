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

    /// Encodes one unmasked server frame around `payload`.
    public convenience init(opcode: WebSocketOpcode, payload: [UInt8]) {
        let header = WebSocketFrameEncoder.headerLength(payloadLength: payload.count, masked: false)
        self.init(count: header + payload.count) { destination in
            WebSocketFrameEncoder.writeHeader(into: destination, opcode: opcode, payloadLength: payload.count)
            payload.withUnsafeBytes {
                if $0.count > 0 { UnsafeMutableRawBufferPointer(rebasing: destination[header...]).copyMemory(from: $0) }
            }
        }
    }

    /// A text frame carrying `text`.
    public convenience init(text: String) {
        self.init(opcode: .text, payload: Array(text.utf8))
    }

    deinit { UnsafeMutableRawPointer(mutating: bytes.baseAddress!).deallocate() }

    public var count: Int { bytes.count }
}
