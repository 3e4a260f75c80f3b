import Testing
import WliveProtocol

@testable import WliveEngine

final class FakeSubscriber: Subscriber {
    var subscriberSlot = -1
    var fanOut = SubscriberFanOut()
    var channelID: ChannelID?
    let name: Int
    init(_ name: Int, channel: ChannelID? = nil) {
        self.name = name
        channelID = channel
    }
}

@Suite("Channels and subscribers")
struct ChannelTests {
    @Test func directoryOpensOnceAndClosesOnce() {
        let directory = ChannelDirectory()
        let id = ChannelID(rawValue: 9)
        #expect(directory.open(id) != nil)
        #expect(directory.open(id) == nil)
        #expect(directory.lookup(id)?.state == .live)
        #expect((try? directory.finish(id).get()) != nil)
        #expect(throws: ChannelDirectory.FinishError.alreadyFinished) { try directory.finish(id).get() }
        #expect(throws: ChannelDirectory.FinishError.notFound) { try directory.finish(ChannelID(rawValue: 10)).get() }
        #expect(directory.state(of: id) == .ended)
        // Only a tombstone stays: the record (and its ring) is no longer reachable from here.
        #expect(directory.lookup(id) == nil)
    }

    @Test func sequenceNumbersCountUpFromOneAndReadersSeeOnlyDeliveredOnes() {
        let record = ChannelDirectory().open(ChannelID(rawValue: 1))!
        #expect(record.lastSeq == 0)
        #expect((1...5).map { _ in record.nextSeq() } == [1, 2, 3, 4, 5])
        // Numbered is not delivered: readers learn of 5 only once it is in the ring.
        #expect(record.lastSeq == 0)
        record.delivered(3)
        #expect(record.lastSeq == 3)
        // 4 and 5 were never stored: numbering goes on from 3.
        record.withdraw(4)
        record.withdraw(5)
        #expect(record.nextSeq() == 4)
    }

    @Test func aRestoredRoomNumbersOnFromItsLastSeq() {
        let directory = ChannelDirectory()
        let record = directory.open(ChannelID(rawValue: 1), epoch: 9, lastSeq: 500)!
        #expect(record.lastSeq == 500 && record.epoch == 9)
        #expect(record.nextSeq() == 501)
        directory.open(ChannelID(rawValue: 2), state: .ended)
        #expect(directory.state(of: ChannelID(rawValue: 2)) == .ended)
        #expect(directory.lookup(ChannelID(rawValue: 2)) == nil)
    }

    @Test func tableRemovesInConstantTimeAndKeepsSlotsRight() {
        var table = SubscriberTable<FakeSubscriber>()
        let channel = ChannelID(rawValue: 1)
        let subscribers = (0..<10).map { FakeSubscriber($0) }
        for s in subscribers { table.add(s, to: channel) }
        table.remove(subscribers[2], from: channel)
        table.remove(subscribers[9], from: channel)
        table.remove(subscribers[0], from: channel)
        table.remove(subscribers[0], from: channel)  // twice: no effect
        let left = table.subscribers(of: channel)
        #expect(Set(left.map(\.name)) == [1, 3, 4, 5, 6, 7, 8])
        #expect(left.enumerated().allSatisfy { $0.element.subscriberSlot == $0.offset })
        #expect(table.count == 7 && subscribers[2].subscriberSlot == -1)
        for s in left { table.remove(s, from: channel) }
        #expect(table.count == 0 && table.subscribers(of: channel).isEmpty && table.channelIDs.isEmpty)
    }

    @Test func channelIDsParseDigitsOnly() {
        #expect(ChannelID("969806108841504768")?.rawValue == 969_806_108_841_504_768)
        for bad in ["", "0", "-1", "1.5", " 12", "12a", "18446744073709551616"] { #expect(ChannelID(bad) == nil, "\(bad)") }
    }
}
