import WliveCodec

/// The answers of one API connection, in request order whatever order they complete in: each
/// request takes a slot when it is handed to the API, and an answer leaves only once every
/// answer before it has. Plain state, no I/O.
struct AnswerQueue {
    private struct Slot {
        let number: UInt64
        /// The request said `Connection: close` (or asked to upgrade); an answer that says
        /// `Connection: close` ends the connection too.
        let closesAfter: Bool
        var response: HTTPResponse?
    }

    private var slots: [Slot] = []
    private var nextNumber: UInt64 = 0

    /// Answers awaited or waiting for an earlier one.
    var count: Int { slots.count }
    var isEmpty: Bool { slots.isEmpty }

    /// Takes the next slot, for a request handed to the API.
    mutating func reserve(closesAfter: Bool) -> UInt64 {
        defer { nextNumber += 1 }
        slots.append(Slot(number: nextNumber, closesAfter: closesAfter))
        return nextNumber
    }

    /// The answer for `slot` is ready. Returns what may leave now, in order, and whether the
    /// connection ends after the last of it (then nothing more ever leaves).
    mutating func fill(_ slot: UInt64, with response: HTTPResponse) -> (ready: [HTTPResponse], closes: Bool) {
        guard let index = slots.firstIndex(where: { $0.number == slot }) else { return ([], false) }
        slots[index].response = response
        var ready: [HTTPResponse] = []
        while let head = slots.first, let answer = head.response {
            slots.removeFirst()
            ready.append(answer)
            if head.closesAfter || answer.closesConnection {
                slots.removeAll()
                return (ready, true)
            }
        }
        return (ready, false)
    }

    mutating func removeAll() { slots.removeAll() }
}
