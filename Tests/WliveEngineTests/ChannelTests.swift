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

    @Test func sequenceNumbersCountUpFromOne() {
        let record = ChannelDirectory().open(ChannelID(rawValue: 1))!
        #expect(record.lastSeq == 0)
        #expect((1...5).map { _ in record.nextSeq() } == [1, 2, 3, 4, 5])
        #expect(record.lastSeq == 5)
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
