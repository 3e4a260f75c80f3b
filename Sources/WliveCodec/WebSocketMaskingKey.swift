/// The 4-byte key a client XORs over its frame payloads (RFC 6455 section 5.3).
public struct WebSocketMaskingKey: Hashable, Sendable {
    /// The key's four bytes in wire order, packed little-endian so that byte 0 is the low byte.
    public let packed: UInt32

    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) {
        packed = UInt32(b0) | UInt32(b1) << 8 | UInt32(b2) << 16 | UInt32(b3) << 24
    }

    /// Reads a key from the first four bytes of `bytes`.
    public init(loadingFrom bytes: UnsafeRawBufferPointer) {
        self.init(bytes[0], bytes[1], bytes[2], bytes[3])
    }

    /// A key from the system's random number generator, as RFC 6455 requires of clients.
    public static func random() -> WebSocketMaskingKey {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt32
        return WebSocketMaskingKey(
            UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24))
    }

    /// The key's bytes in wire order.
    public var bytes: [UInt8] {
        [
            UInt8(truncatingIfNeeded: packed), UInt8(truncatingIfNeeded: packed >> 8),
            UInt8(truncatingIfNeeded: packed >> 16), UInt8(truncatingIfNeeded: packed >> 24),
        ]
    }

    /// XORs `source` with the key into `destination` (which may be the same memory).
    ///
    /// `keyOffset` is how many payload bytes came before `source`, so a payload can be
    /// (un)masked in pieces. Eight bytes are done at a time: masking is on the hot path of
    /// every client frame, and a byte loop is several times slower.
    public func apply(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, keyOffset: Int = 0) {
        precondition(destination.count >= source.count)
        let count = source.count
        guard count > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        let shift = UInt32((keyOffset & 3) * 8)
        let rotated = shift == 0 ? packed : (packed >> shift) | (packed << (32 - shift))
        let wide = UInt64(rotated) | UInt64(rotated) << 32
        var index = 0
        while index + 8 <= count {
            let word = src.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            dst.storeBytes(of: word ^ wide, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            let keyByte = UInt8(truncatingIfNeeded: rotated >> UInt32((index & 3) * 8))
            dst.storeBytes(of: src.load(fromByteOffset: index, as: UInt8.self) ^ keyByte, toByteOffset: index, as: UInt8.self)
            index += 1
        }
    }
}
