/// SipHash (Aumasson and Bernstein, 2012), a keyed hash whose outputs an attacker who does not
/// know the key cannot predict or collide on purpose; with one compression and three
/// finalisation rounds (SipHash-1-3) it is what `Hasher` runs.
///
/// The spam rules digest every comment, and `Hasher` takes its input through calls into the
/// runtime and a byte-by-byte tail buffer; this takes whole 64-bit words, inlined, which costs a
/// third of the instructions. The rounds are a type parameter, so that the loops unroll. Input is a sequence of little-endian 64-bit words and a final
/// partial word, exactly as SipHash reads a byte string, so the result is the SipHash of those
/// bytes (the tests check it against the reference vectors of SipHash-2-4).
struct SipHash<Rounds: SipHashRounds> {
    private var v0: UInt64
    private var v1: UInt64
    private var v2: UInt64
    private var v3: UInt64
    private var byteCount: UInt64 = 0

    /// A hash under the 128-bit `key`.
    @inline(__always)
    init(key: SipHashKey) {
        v0 = key.k0 ^ 0x736F_6D65_7073_6575
        v1 = key.k1 ^ 0x646F_7261_6E64_6F6D
        v2 = key.k0 ^ 0x6C79_6765_6E65_7261
        v3 = key.k1 ^ 0x7465_6462_7974_6573
    }

    @inline(__always)
    private mutating func round() {
        v0 &+= v1
        v1 = v1.rotatedLeft(13)
        v1 ^= v0
        v0 = v0.rotatedLeft(32)
        v2 &+= v3
        v3 = v3.rotatedLeft(16)
        v3 ^= v2
        v0 &+= v3
        v3 = v3.rotatedLeft(21)
        v3 ^= v0
        v2 &+= v1
        v1 = v1.rotatedLeft(17)
        v1 ^= v2
        v2 = v2.rotatedLeft(32)
    }

    /// Takes the next eight bytes of input, as a little-endian word.
    @inline(__always)
    mutating func combine(_ word: UInt64) {
        v3 ^= word
        for _ in 0..<Rounds.compression { round() }
        v0 ^= word
        byteCount &+= 8
    }

    /// Takes `bytes` as the rest of the input and gives the hash.
    @inline(__always)
    mutating func finalize(bytes: UnsafeRawBufferPointer) -> UInt64 {
        var index = 0
        while index &+ 8 <= bytes.count {
            combine(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
            index &+= 8
        }
        var tail: UInt64 = 0
        for offset in 0..<bytes.count &- index { tail |= UInt64(bytes[index &+ offset]) &<< UInt64(8 * offset) }
        return finalize(tail: tail, count: bytes.count &- index)
    }

    /// Takes the last `count` (0 to 7) bytes of input, in the low bytes of `tail`, and gives the hash.
    @inline(__always)
    mutating func finalize(tail: UInt64, count: Int) -> UInt64 {
        let length = (byteCount &+ UInt64(count)) & 0xFF
        let last = (count == 0 ? 0 : tail & (1 &<< UInt64(8 * count) &- 1)) | length &<< 56
        v3 ^= last
        for _ in 0..<Rounds.compression { round() }
        v0 ^= last
        v2 ^= 0xFF
        for _ in 0..<Rounds.finalization { round() }
        return v0 ^ v1 ^ v2 ^ v3
    }
}

/// How many rounds a `SipHash` runs per word of input and at the end.
protocol SipHashRounds {
    static var compression: Int { get }
    static var finalization: Int { get }
}

/// SipHash-1-3, as `Hasher`: what the spam rules use.
enum SipHash13: SipHashRounds {
    static var compression: Int { 1 }
    static var finalization: Int { 3 }
}

/// SipHash-2-4, the variant of the paper's reference vectors: for the tests.
enum SipHash24: SipHashRounds {
    static var compression: Int { 2 }
    static var finalization: Int { 4 }
}

/// A SipHash key.
struct SipHashKey: Sendable {
    let k0: UInt64
    let k1: UInt64

    /// A key from the system's random source.
    static func random() -> SipHashKey {
        var generator = SystemRandomNumberGenerator()
        return SipHashKey(k0: generator.next(), k1: generator.next())
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotatedLeft(_ count: UInt64) -> UInt64 { self &<< count | self &>> (64 &- count) }
}
