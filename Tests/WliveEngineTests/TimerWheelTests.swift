import Testing

@testable import WliveEngine

@Suite("Timer wheel")
struct TimerWheelTests {
    @Test func firesEachEntryAtItsDeadlineAndNotBefore() {
        var wheel = TimerWheel<Int>(slotCount: 8)
        for deadline in [3, 1, 5, 5, 2] { wheel.schedule(deadline * 10, at: UInt64(deadline)) }
        #expect(wheel.advance(to: 1).map(\.element) == [10])
        #expect(wheel.advance(to: 2).map(\.element) == [20])
        #expect(wheel.advance(to: 4).map(\.element) == [30])
        #expect(Set(wheel.advance(to: 5).map(\.element)) == [50])
        #expect(wheel.count == 0)
    }

    @Test func deadlinesBeyondOneTurnWaitForTheirTurn() {
        var wheel = TimerWheel<String>(slotCount: 4)
        wheel.schedule("far", at: 9)  // same slot as 1 and 5
        wheel.schedule("near", at: 1)
        #expect(wheel.advance(to: 1).map(\.element) == ["near"])
        #expect(wheel.advance(to: 5).isEmpty)
        #expect(wheel.advance(to: 8).isEmpty)
        #expect(wheel.advance(to: 9).map(\.element) == ["far"])
    }

    @Test func jumpingFarAheadFiresEverythingDue() {
        var wheel = TimerWheel<Int>(slotCount: 16)
        for value in 1...100 { wheel.schedule(value, at: UInt64(value)) }
        let fired = wheel.advance(to: 1000)
        #expect(fired.map(\.element).sorted() == Array(1...100))
        #expect(fired.allSatisfy { $0.deadline == UInt64($0.element) })
    }

    @Test func pastDeadlinesFireOnTheNextTick() {
        var wheel = TimerWheel<Int>(slotCount: 8, now: 50)
        wheel.schedule(1, at: 10)
        #expect(wheel.advance(to: 51).map(\.element) == [1])
    }

    @Test func manyEntriesCostOnlyTheirSlot() {
        var wheel = TimerWheel<Int>(slotCount: 4096)
        for value in 0..<100_000 { wheel.schedule(value, at: UInt64(1 + value % 3000)) }
        var total = 0
        for tick in 1...3000 { total += wheel.advance(to: UInt64(tick)).count }
        #expect(total == 100_000 && wheel.count == 0)
    }
}
