import Testing
import WliveCodec

@testable import WliveServer

@Suite("API answers in request order")
struct AnswerQueueTests {
    func body(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }
    func ok(_ text: String) -> HTTPResponse { HTTPResponse(status: 200, body: Array("\(text)\n".utf8)) }

    @Test func answersThatCompleteOutOfOrderLeaveInRequestOrder() {
        var queue = AnswerQueue()
        let slots = (0..<3).map { _ in queue.reserve(closesAfter: false) }
        // The third completes first (its call answered at once), the first after a round trip.
        #expect(queue.fill(slots[2], with: ok("c")).ready.isEmpty)
        #expect(queue.fill(slots[1], with: ok("b")).ready.isEmpty)
        let (ready, closes) = queue.fill(slots[0], with: ok("a"))
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

    @Test func anAnswerThatSaysConnectionCloseEndsTheConnection() {
        var queue = AnswerQueue()
        let first = queue.reserve(closesAfter: false)
        let second = queue.reserve(closesAfter: false)
        #expect(queue.fill(second, with: ok("never")).ready.isEmpty)
        // A 405 (or any error) answers with Connection: close, so the keep-alive ends there.
        let (ready, closes) = queue.fill(first, with: .error(405, "use POST"))
        #expect(ready.map(\.status) == [405] && closes)
        #expect(queue.isEmpty)
    }
}
