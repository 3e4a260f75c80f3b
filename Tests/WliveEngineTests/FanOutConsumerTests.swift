import Foundation
import Testing
import WliveCodec
import WliveProtocol

@testable import WliveEngine

/// A transport that records what fan-out asked of it, with sockets that are fast, busy or full.
final class RecordingWriter: FanOutWriter {
    struct Write {
        var subscriber: Int
        var batch: FanOutBatch
        var gap: [String: Any]?
        var seqs: [UInt64] { batch.messages.filter { $0.kind == .comment }.map(\.seq) }
    }

    var writes: [Write] = []
    var dropped: [Int] = []
    var closedAtEnd: [Int] = []
    /// Subscribers whose writes stay in flight until `complete` (a socket that is not drained).
    var busy: Set<Int> = []
    /// Bytes each socket reports as queued and unsent.
    var queued: [Int: Int] = [:]

    func queuedBytes(of subscriber: FakeSubscriber) -> Int { queued[subscriber.name, default: 0] }

    func write(_ batch: FanOutBatch, gap: ServerMessage?, to subscriber: FakeSubscriber) -> Bool {
        let gapJSON = gap.flatMap { json(SharedFrame($0)) }
        writes.append(Write(subscriber: subscriber.name, batch: batch, gap: gapJSON))
        return busy.contains(subscriber.name)
    }

    func dropSlowReader(_ subscriber: FakeSubscriber) { dropped.append(subscriber.name) }
    func closeAtChannelEnd(_ subscriber: FakeSubscriber) { closedAtEnd.append(subscriber.name) }

    func writes(to subscriber: Int) -> [Write] { writes.filter { $0.subscriber == subscriber } }
    /// Every comment seq a subscriber was written, in order.
    func seqs(of subscriber: Int) -> [UInt64] { writes(to: subscriber).flatMap(\.seqs) }
}

/// The JSON object a server text frame carries (its header is 2 bytes for these small ones).
func json(_ frame: SharedFrame) -> [String: Any]? {
    let payload = Data(frame.bytes[(frame.count < 128 ? 2 : 4)...])
    return try? JSONSerialization.jsonObject(with: payload) as? [String: Any]
}

/// The producer's side, as the ingest loop does it: seq, append, tell the worker.
struct Producer {
    let record: ChannelRecord
    var changed: [ChannelID] = []
    /// What the raw test frames stand for: their size is what these tests are about.
    static let placeholder = ServerMessage.error(code: .success, message: "a raw test frame")

    mutating func comment(_ count: Int = 1, bytes: Int = 40) {
        for _ in 0..<count {
            let seq = record.nextSeq()
            record.delivered(seq)
            record.ring.publish(
                ChannelMessage(
                    .comment, seq: seq, message: Self.placeholder,
                    frame: SharedFrame(opcode: .text, payload: Array(repeating: 0x61, count: bytes))))
        }
        changed.append(record.id)
    }

    mutating func close() {
        record.ring.publish(
            ChannelMessage(
                .closing, seq: record.lastSeq, message: Self.placeholder,
                frame: SharedFrame(opcode: .text, payload: Array("bye".utf8))))
        changed.append(record.id)
    }

    /// The channels changed since the last call, as the worker receives them.
    mutating func takeChanged() -> [ChannelID] {
        defer { changed = [] }
        return changed
    }
}

@Suite("Fan-out core")
struct FanOutConsumerTests {
    let directory = ChannelDirectory(ringCapacity: 16, workers: 1)

    func consumer(_ policy: FanOutConsumer<FakeSubscriber>.Policy = .init()) -> FanOutConsumer<FakeSubscriber> {
        FanOutConsumer(index: 0, policy: policy, tracker: directory.tracker, wallClock: { 1_000 })
    }

    func channel(_ id: UInt64 = 7) -> Producer { Producer(record: directory.open(ChannelID(rawValue: id))!) }

    func subscribers(_ count: Int, to producer: Producer, on consumer: FanOutConsumer<FakeSubscriber>) -> [FakeSubscriber] {
        (0..<count).map { name in
            let subscriber = FakeSubscriber(name, channel: producer.record.id)
            consumer.subscribe(subscriber, to: producer.record)
            return subscriber
        }
    }

    @Test func aResumingViewerGetsExactlyWhatItMissedFromTheRingAndNothingTwice() {
        let fanOut = consumer()
        var room = channel()
        let writer = RecordingWriter()
        let watching = subscribers(1, to: room, on: fanOut)[0]
        room.comment(10)
        // The worker has not read the last three yet: they come live, not in the replay.
        fanOut.deliver(room.takeChanged(), now: 0, through: writer)
        room.comment(3)
        let resuming = FakeSubscriber(1, channel: room.record.id)
        guard case .fromRing(let replay) = fanOut.subscribe(resuming, to: room.record, resumingAfter: 4) else {
            Issue.record("the ring holds 5...10")
            return
        }
        #expect(replay.map(\.seq) == [5, 6, 7, 8, 9, 10])
        fanOut.replay(replay, to: resuming, through: writer)
        fanOut.deliver(room.takeChanged(), now: 0, through: writer)
        #expect(writer.seqs(of: 1) == Array(5...13))
        #expect(writer.seqs(of: watching.name) == Array(1...13))
        // One that missed nothing is simply subscribed.
        let current = FakeSubscriber(2, channel: room.record.id)
        guard case .fromRing(let nothing) = fanOut.subscribe(current, to: room.record, resumingAfter: 13) else {
            Issue.record("nothing to replay")
            return
        }
        #expect(nothing.isEmpty)
    }

    @Test func aResumePointTheRingNoLongerHoldsNeedsTheHistoryAndSubscribesNothing() {
        let fanOut = consumer()
        var room = channel()
        let writer = RecordingWriter()
        _ = subscribers(1, to: room, on: fanOut)
        // 40 comments through a 16-entry ring: only the last 15 are readable.
        room.comment(40)
        fanOut.deliver(room.takeChanged(), now: 0, through: writer)
        let resuming = FakeSubscriber(1, channel: room.record.id)
        guard case .needsHistory = fanOut.subscribe(resuming, to: room.record, resumingAfter: 20) else {
            Issue.record("comment 21 is gone from the ring")
            return
        }
        #expect(fanOut.subscribers.subscribers(of: room.record.id).count == 1)
        // From 25 on, the ring covers it: 26 is the oldest readable.
        guard case .fromRing(let replay) = fanOut.subscribe(resuming, to: room.record, resumingAfter: 25) else {
            Issue.record("the ring holds 26...40")
            return
        }
        #expect(replay.map(\.seq) == Array(26...40))
    }

    /// A worker, one room with `subscribers` viewers, and a recording transport.
    struct Rig {
        let fanOut: FanOutConsumer<FakeSubscriber>
        var room: Producer
        let audience: [FakeSubscriber]
        let writer = RecordingWriter()

        /// Publishes `count` comments and runs the worker's pass over what changed.
        @discardableResult
        mutating func post(_ count: Int = 1, now: UInt64 = 0) -> UInt64? {
            room.comment(count)
            return fanOut.deliver(room.takeChanged(), now: now, through: writer)
        }
    }

    func makeRig(_ count: Int, _ policy: FanOutConsumer<FakeSubscriber>.Policy = .init(), channel id: UInt64 = 7) -> Rig {
        let fanOut = consumer(policy)
        let room = channel(id)
        return Rig(fanOut: fanOut, room: room, audience: subscribers(count, to: room, on: fanOut))
    }

    @Test func idleSubscribersGetNewsAtOnceInOneSharedBatch() {
        var rig = makeRig(3)
        rig.post(2)
        #expect(rig.writer.writes.count == 3)
        #expect(rig.writer.writes.allSatisfy { $0.seqs == [1, 2] && $0.batch === rig.writer.writes[0].batch })
        #expect(rig.fanOut.tally.delivered == 6)
    }

    @Test func newsForASubscriberWithAWriteInFlightLeavesTogetherInItsNextWrite() {
        var rig = makeRig(2)
        let (writer, audience) = (rig.writer, rig.audience)
        writer.busy = [0]
        rig.post()
        #expect(audience[0].fanOut.isWriting && !audience[1].fanOut.isWriting)
        for _ in 0..<3 { rig.post() }
        // Subscriber 1 got each comment at once; subscriber 0 waits with three.
        #expect(writer.writes(to: 1).count == 4)
        #expect(writer.writes(to: 0).count == 1 && audience[0].fanOut.pendingCount == 3)
        writer.busy = []
        rig.fanOut.writeCompleted(audience[0], through: writer)
        #expect(writer.writes(to: 0).count == 2)
        #expect(writer.writes(to: 0).last?.seqs == [2, 3, 4])
        #expect(writer.seqs(of: 0) == writer.seqs(of: 1))
        #expect(!audience[0].fanOut.isWriting && audience[0].fanOut.pendingCount == 0)
    }

    @Test func onlyTheChannelsThatChangedAreRead() {
        let fanOut = consumer()
        var quiet = channel(1)
        var busy = channel(2)
        _ = subscribers(1, to: quiet, on: fanOut)
        let busyAudience = subscribers(1, to: busy, on: fanOut)
        let writer = RecordingWriter()
        quiet.comment()
        busy.comment()
        // Only the busy channel is listed: the quiet one's news waits until it is.
        fanOut.deliver(busy.takeChanged(), now: 0, through: writer)
        #expect(writer.writes.map(\.subscriber) == [busyAudience[0].name])
        fanOut.deliver(quiet.takeChanged(), now: 0, through: writer)
        #expect(writer.writes.count == 2)
    }

    @Test func aWorkerThatFellARingBehindSaysExactlyWhichCommentsItLost() throws {
        var rig = makeRig(2)
        let writer = rig.writer
        rig.post(3)
        rig.post(40)  // the ring holds 16
        let last = try #require(writer.writes(to: 0).last)
        let gap = try #require(last.batch.messages.first)
        let notice = try #require(json(gap.frame))
        #expect(notice["type"] as? String == "gap" && notice["reason"] as? String == "overrun")
        let from = try #require(notice["from_seq"] as? Int)
        let to = try #require(notice["to_seq"] as? Int)
        #expect(from == 4 && to == Int(last.seqs.first!) - 1 && notice["missed"] as? Int == to - from + 1)
        // Delivered plus reported missed is everything published, for each subscriber.
        #expect(writer.seqs(of: 0).count + (to - from + 1) == 43)
        #expect(writer.seqs(of: 0).last == 43 && writer.seqs(of: 1) == writer.seqs(of: 0))
    }

    @Test func aSlowReaderIsClosedUnderTheDisconnectPolicy() {
        var rig = makeRig(2, .init(maxPendingBytes: 1000))
        rig.writer.queued[1] = 990
        rig.post()
        #expect(rig.writer.dropped == [1])
        #expect(rig.writer.writes.map(\.subscriber) == [0])
        #expect(rig.fanOut.tally.slowReaderActions == 1)
    }

    @Test func aReaderWithNothingUnsentTakesABatchLargerThanTheLimit() {
        // The worker woke late and read 12 comments of 100 bytes at once: 1,200 bytes.
        var rig = makeRig(2, .init(maxPendingBytes: 1000))
        rig.writer.queued[1] = 10
        rig.room.comment(12, bytes: 100)
        rig.fanOut.deliver(rig.room.takeChanged(), now: 0, through: rig.writer)
        // The one with something unsent is behind; the other takes it all.
        #expect(rig.writer.dropped == [1])
        #expect(rig.writer.seqs(of: 0) == Array(1...12))
    }

    @Test func aSkippedReaderLearnsTheExactRangeItMissedWhenItCatchesUp() throws {
        var rig = makeRig(1, .init(maxPendingBytes: 1000, skipsSlowReaders: true))
        let (writer, reader) = (rig.writer, rig.audience[0])
        writer.busy = [0]
        rig.post(2)  // 1, 2 in flight
        rig.post(2)  // 3, 4 wait
        writer.queued[0] = 990
        rig.post(3)  // full: 5...7 dropped, and the waiting 3, 4 with them
        #expect(reader.fanOut.pendingCount == 0)
        writer.queued[0] = 0
        writer.busy = []
        rig.fanOut.writeCompleted(reader, through: writer)
        rig.post()
        let catchUp = try #require(writer.writes.last)
        #expect(catchUp.seqs == [8])
        let gap = try #require(catchUp.gap)
        #expect(
            gap["from_seq"] as? Int == 3 && gap["to_seq"] as? Int == 7 && gap["missed"] as? Int == 5
                && gap["reason"] as? String == "slow")
        #expect(writer.seqs(of: 0).count + 5 == 8)
    }

    @Test func theEndOfAChannelReachesEvenABusyOrSlowReaderAfterWhatItAwaited() {
        var rig = makeRig(2, .init(maxPendingBytes: 1000, skipsSlowReaders: true))
        let writer = rig.writer
        writer.busy = [0]
        rig.post()
        rig.post()  // 2 waits for subscriber 0
        writer.queued[1] = 5000
        rig.room.close()
        rig.fanOut.deliver(rig.room.takeChanged(), now: 0, through: writer)
        let last = writer.writes(to: 0).last!
        #expect(last.seqs == [2] && last.batch.messages.last?.kind == .closing)
        #expect(writer.writes(to: 1).last?.batch.messages.last?.kind == .closing)
        #expect(Set(writer.closedAtEnd) == [0, 1])
    }

    @Test func maxDelayIsAnOptInCeilingMeasuredOnTheGivenClock() {
        var rig = makeRig(1, .init(maxDelay: 20))
        #expect(rig.post(now: 100) == nil)
        // Written 5 ms ago: it gathers until 120.
        #expect(rig.post(now: 105) == 120)
        #expect(rig.post(now: 110) == 120)
        #expect(rig.writer.writes.count == 1)
        #expect(rig.fanOut.deliver(rig.fanOut.servedChannelIDs, now: 120, through: rig.writer) == nil)
        #expect(rig.writer.writes.map(\.seqs) == [[1], [2, 3]])
        // With the default (0) nothing ever waits.
        var eager = makeRig(1, channel: 8)
        for now: UInt64 in [100, 101, 102] { #expect(eager.post(now: now) == nil) }
        #expect(eager.writer.writes.count == 3)
    }

    @Test func theLastSubscriberLeavingStopsTheWorkerReadingTheRing() {
        let fanOut = consumer()
        let room = channel()
        let audience = subscribers(2, to: room, on: fanOut)
        #expect(room.record.interestedWorkers == 1)
        fanOut.unsubscribe(audience[0], from: room.record)
        #expect(room.record.interestedWorkers == 1)
        fanOut.unsubscribe(audience[1], from: room.record)
        #expect(room.record.interestedWorkers == 0 && fanOut.servedChannelIDs.isEmpty)
    }
}

@Suite("Ring entries and their encodings")
struct ChannelMessageTests {
    /// The frame is built once, by whoever asks first, and then shared: every reader gets the
    /// same bytes, and an entry nobody writes to a socket never encodes one.
    @Test func theFrameIsBuiltOnceOnFirstUseAndShared() throws {
        let message = ServerMessage.error(code: .success, message: "hello")
        let entry = ChannelMessage(.notice, seq: 7, message: message)
        #expect(!entry.hasFrame)
        let first = entry.frame
        #expect(entry.hasFrame && first === entry.frame)
        // Bound to a name: a temporary frame's bytes would be freed before they were compared.
        let expected = SharedFrame(message)
        withExtendedLifetime(expected) { #expect(Array(first.bytes) == Array(expected.bytes)) }
        let prebuilt = SharedFrame(message)
        #expect(ChannelMessage(.notice, seq: 7, message: message, frame: prebuilt).frame === prebuilt)
    }

    /// Each further encoding is built from the text frame at most once, only when asked for,
    /// and the same buffer comes back to every later reader.
    @Test func eachEncodingIsBuiltOnceWhenFirstAskedFor() {
        let entry = ChannelMessage(.comment, seq: 3, message: .error(code: .success, message: "kinds"))
        var builds = 0
        #expect(!entry.hasEncoding(.webSocketDeflated) && !entry.hasEncoding(.serverSentEvent))
        let event = entry.encoded(.serverSentEvent) { frame in
            builds += 1
            return ServerSentEvent.record(json: frame.payload, id: 3)
        }
        #expect(entry.hasFrame && entry.hasEncoding(.serverSentEvent) && !entry.hasEncoding(.webSocketDeflated))
        let again = entry.encoded(.serverSentEvent) { _ in
            builds += 1
            return SharedFrame(text: "never")
        }
        #expect(builds == 1 && again === event)
        #expect(String(decoding: event.bytes, as: UTF8.self).hasPrefix("event: error\nid: 3\ndata: {"))
        #expect(entry.encoded(.webSocket) { _ in SharedFrame(text: "unused") } === entry.frame)
    }

    /// Four threads ask for one entry's frame at once: one frame wins and all four get it.
    @Test func racingReadersAgreeOnOneFrame() {
        for _ in 0..<200 {
            let entry = ChannelMessage(.comment, seq: 1, message: .error(code: .success, message: "race"))
            let frames = FrameCollector()
            DispatchQueue.concurrentPerform(iterations: 4) { _ in frames.add(ObjectIdentifier(entry.frame)) }
            #expect(frames.distinct == 1)
        }
    }
}

/// Frame identities seen by racing threads, under a pthread mutex ThreadSanitizer understands.
final class FrameCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: Set<ObjectIdentifier> = []
    func add(_ id: ObjectIdentifier) {
        lock.lock()
        seen.insert(id)
        lock.unlock()
    }
    var distinct: Int {
        lock.lock()
        defer { lock.unlock() }
        return seen.count
    }
}
