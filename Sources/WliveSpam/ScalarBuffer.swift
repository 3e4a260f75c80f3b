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

    /// Room for either reading of a text of `utf8Count` bytes. A scalar of n bytes yields at most
    /// n values but for a few ligatures and squared words (U+FDFA, ㍿); a text with many of those
    /// overflows and is read again on the heap. Kept tight so that a comment's buffers stay
    /// within the 1 KB that `withUnsafeTemporaryAllocation` always takes from the stack.
    static func capacity(forUTF8Count utf8Count: Int) -> Int { utf8Count + 16 }
}
