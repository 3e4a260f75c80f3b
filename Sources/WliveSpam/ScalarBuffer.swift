/// A fixed-capacity buffer of scalar values over temporary storage, that notes rather than traps
/// when a text turns out to need more room (the caller then starts over on the heap).
struct ScalarBuffer {
    private let storage: UnsafeMutableBufferPointer<UInt32>
    private(set) var count = 0
    private(set) var overflowed = false

    init(_ storage: UnsafeMutableBufferPointer<UInt32>) {
        self.storage = storage
    }

    @inline(__always)
    mutating func append(_ value: UInt32) {
        if count < storage.count {
            storage[count] = value
            count &+= 1
        } else {
            overflowed = true
        }
    }

    /// The values appended so far.
    var written: UnsafeBufferPointer<UInt32> { UnsafeBufferPointer(rebasing: storage[..<count]) }

    /// Runs `body` with the values `write` emits for a text whose UTF-8 is `bytes`: in a buffer on
    /// the stack (see `capacity(for:)`), or, for the rare text that overflows it, written again
    /// into an array.
    @inline(__always)
    static func withValues<R>(
        of bytes: UnsafeBufferPointer<UInt8>, written write: ((UInt32) -> Void) -> Void,
        _ body: (UnsafeBufferPointer<UInt32>) -> R
    ) -> R {
        let result: R? = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: capacity(for: bytes)) { storage in
            var buffer = ScalarBuffer(storage)
            write { buffer.append($0) }
            return buffer.overflowed ? nil : body(buffer.written)
        }
        if let result { return result }
        var values: [UInt32] = []
        values.reserveCapacity(bytes.count)
        write { values.append($0) }
        return values.withUnsafeBufferPointer(body)
    }

    /// Room for either reading of a text whose UTF-8 is `bytes`: a scalar of n bytes yields at
    /// most n values but for a few ligatures and squared words (U+FDFA, ㍿), so the byte count
    /// (and a little more) is enough, up to 256 values: the 1 KB that
    /// `withUnsafeTemporaryAllocation` always takes from the stack (past it, it calls `malloc`).
    /// A comment of 100 characters, Chinese ones included, needs a few more than 100; the rare
    /// text that needs more than 256 overflows and is read again on the heap.
    @inline(__always)
    static func capacity(for bytes: UnsafeBufferPointer<UInt8>) -> Int { min(bytes.count + 16, 256) }
}
