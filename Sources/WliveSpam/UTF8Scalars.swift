extension String {
    /// Runs `body` on the string's UTF-8 bytes without copying when they are already contiguous.
    @inline(__always)
    func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        copy.makeContiguousUTF8()
        return try copy.utf8.withContiguousStorageIfAvailable(body)!
    }
}

/// Decodes UTF-8 that is known to be valid, as a Swift string's bytes always are.
enum UTF8Scalars {
    @inline(__always)
    static func forEach(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UInt32) -> Void) {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = UInt32(bytes[index])
            if lead < 0x80 {
                body(lead)
                index += 1
            } else if lead < 0xE0 {
                body((lead & 0x1F) << 6 | UInt32(bytes[index + 1]) & 0x3F)
                index += 2
            } else if lead < 0xF0 {
                body((lead & 0x0F) << 12 | (UInt32(bytes[index + 1]) & 0x3F) << 6 | UInt32(bytes[index + 2]) & 0x3F)
                index += 3
            } else {
                body((lead & 0x07) << 18 | (UInt32(bytes[index + 1]) & 0x3F) << 12
                     | (UInt32(bytes[index + 2]) & 0x3F) << 6 | UInt32(bytes[index + 3]) & 0x3F)
                index += 4
            }
        }
    }
}
