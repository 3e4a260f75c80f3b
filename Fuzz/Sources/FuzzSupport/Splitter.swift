// Shared by the targets that cut their input into reads, as a socket delivers it.

/// Cuts `count` bytes into reads: byte `a` picks the largest read (low 3 bits), `a` and `b`
/// seed a splitmix64 generator for the sizes.
public struct Splitter {
    var state: UInt64
    public let maxChunk: Int

    public init(_ a: UInt8, _ b: UInt8) {
        state = UInt64(a) << 8 | UInt64(b)
        maxChunk = [1, 2, 3, 5, 8, 16, 64, 512][Int(a & 7)]
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func chunks(_ count: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        while start < count {
            let length = min(count - start, 1 + Int(next() % UInt64(maxChunk)))
            ranges.append(start..<start + length)
            start += length
        }
        return ranges
    }
}
