import Foundation
import Synchronization
import Testing

@testable import WliveEngine

/// An entry that counts how many of its kind are alive, so the test can check reclamation.
final class NumberedEntry: Sendable {
    static let alive = Atomic<Int>(0)
    let position: UInt64
    init(_ position: UInt64) {
        self.position = position
        Self.alive.add(1, ordering: .relaxed)
    }
    deinit { Self.alive.subtract(1, ordering: .relaxed) }
}

@Suite("Channel ring", .serialized)
struct ChannelRingTests {
    @Test func readsInOrderAndReportsOverrun() {
        let tracker = QuiescenceTracker(consumers: 1)
        let ring = ChannelRing<NumberedEntry>(capacity: 8, tracker: tracker)
        #expect(!ring.isAllocated && ring.read(from: 0).elements.isEmpty)
        for n in 0..<5 { ring.publish(NumberedEntry(UInt64(n))) }
        #expect(ring.isAllocated)
        tracker.enter(0)
        var batch = ring.read(from: 0)
        tracker.leave(0)
        #expect(batch.elements.map(\.position) == [0, 1, 2, 3, 4] && batch.missed == 0 && batch.next == 5)
        for n in 5..<30 { ring.publish(NumberedEntry(UInt64(n))) }
        tracker.enter(0)
        batch = ring.read(from: 5)
        tracker.leave(0)
        // 25 new entries in a ring of 8: the newest 7 are safely readable, 18 are lost.
        #expect(batch.missed == 18 && batch.elements.map(\.position) == Array(23..<30) && batch.next == 30)
        tracker.enter(0)
        batch = ring.read(from: 30)
        tracker.leave(0)
        #expect(batch.elements.isEmpty && batch.missed == 0 && batch.next == 30)
    }

    @Test func readLimitLeavesTheRestForLater() {
        let tracker = QuiescenceTracker(consumers: 1)
        let ring = ChannelRing<NumberedEntry>(capacity: 16, tracker: tracker)
        for n in 0..<10 { ring.publish(NumberedEntry(UInt64(n))) }
        let first = ring.read(from: 0, limit: 4)
        #expect(first.elements.map(\.position) == [0, 1, 2, 3] && first.next == 4)
        #expect(ring.read(from: first.next).elements.map(\.position) == Array(4..<10))
    }

    @Test func displacedEntriesWaitForDrainingConsumers() {
        let tracker = QuiescenceTracker(consumers: 2)
        let ring = ChannelRing<NumberedEntry>(capacity: 2, tracker: tracker)
        ring.publish(NumberedEntry(0))
        ring.publish(NumberedEntry(1))
        tracker.enter(1)  // consumer 1 is mid-drain and might hold entry 0
        ring.publish(NumberedEntry(2))  // displaces entry 0
        #expect(ring.retiredCount == 1)
        ring.reclaim()
        #expect(ring.retiredCount == 1)
        tracker.leave(1)
        ring.reclaim()
        #expect(ring.retiredCount == 0)
        ring.publish(NumberedEntry(3))  // displaces 1 while every consumer is quiescent: freed at once
        #expect(ring.retiredCount == 0)
    }

    /// One producer, four consumer threads, a small ring so it wraps and overruns constantly.
    /// Every consumer must see positions strictly increasing, and seen plus missed must equal
    /// everything published. Run under `swift test --sanitize=thread` too.
    @Test func oneProducerFourConsumersMillionsOfEntries() async {
        let total: UInt64 = 1_000_000
        let consumers = 4
        let tracker = QuiescenceTracker(consumers: consumers)
        let ring = ChannelRing<NumberedEntry>(capacity: 256, tracker: tracker)
        let results = ConsumerResults()
        let done = DispatchGroup()
        for consumer in 0..<consumers {
            done.enter()
            Thread {
                var cursor: UInt64 = 0
                var seen: UInt64 = 0
                var missed: UInt64 = 0
                var last: UInt64? = nil
                var ordered = true
                while cursor < total {
                    tracker.enter(consumer)
                    let batch = ring.read(from: cursor, limit: consumer == 0 ? 16 : .max)
                    for element in batch.elements {
                        if let last, element.position <= last { ordered = false }
                        last = element.position
                    }
                    tracker.leave(consumer)
                    seen += UInt64(batch.elements.count)
                    missed += batch.missed
                    cursor = batch.next
                    if consumer == 3 { usleep(50) }  // a slow one, to force overruns
                    if batch.elements.isEmpty, batch.missed == 0 { usleep(20) }  // caught up: do not spin
                }
                results.append((seen, missed, ordered))
                done.leave()
            }.start()
        }
        for n in 0..<total { ring.publish(NumberedEntry(n)) }
        done.wait()
        ring.reclaim()
        let all = results.all
        #expect(all.count == consumers)
        for result in all {
            #expect(result.ordered)
            #expect(result.seen + result.missed == total)
        }
        #expect(all.contains { $0.missed > 0 }, "the slow consumer should have been overrun")
        #expect(ring.retiredCount == 0)
        // Only the ring's own last lap is alive.
        #expect(NumberedEntry.alive.load(ordering: .relaxed) <= 256 + 8)
    }
}

/// What each consumer thread of the ring test saw.
/// What each consumer thread saw. Under a pthread mutex (`NSLock`), which ThreadSanitizer
/// understands; it does not see the futex under `Mutex`, and reported the appends as a race.
final class ConsumerResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [(seen: UInt64, missed: UInt64, ordered: Bool)] = []

    func append(_ result: (seen: UInt64, missed: UInt64, ordered: Bool)) {
        lock.lock()
        results.append(result)
        lock.unlock()
    }

    var all: [(seen: UInt64, missed: UInt64, ordered: Bool)] {
        lock.lock()
        defer { lock.unlock() }
        return results
    }
}
