import Testing
import WliveCodec

@testable import WliveServer

@Suite("API answers in request order")
struct AnswerQueueTests {
    func body(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test func answersThatCompleteOutOfOrderLeaveInRequestOrder() {
        var queue = AnswerQueue()
        let slots = (0..<3).map { _ in queue.reserve(closesAfter: false) }
        // The third completes first (its call answered at once), the first after a round trip.
        #expect(queue.fill(slots[2], with: .error(400, "c")).ready.isEmpty)
        #expect(queue.fill(slots[1], with: .error(400, "b")).ready.isEmpty)
        let (ready, closes) = queue.fill(slots[0], with: .error(400, "a"))
        #expect(ready.map(body) == ["a\n", "b\n", "c\n"] && !closes)
        #expect(queue.isEmpty)
    }

    @Test func nothingLeavesAfterAnAnswerThatEndsTheConnection() {
        var queue = AnswerQueue()
        let first = queue.reserve(closesAfter: true)
        let second = queue.reserve(closesAfter: false)
        #expect(queue.fill(second, with: .error(400, "late")).ready.isEmpty)
        let (ready, closes) = queue.fill(first, with: .error(400, "bye"))
        #expect(ready.map(body) == ["bye\n"] && closes)
        #expect(queue.isEmpty)
        #expect(queue.fill(second, with: .error(400, "again")).ready.isEmpty)
    }
}
