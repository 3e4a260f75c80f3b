import Testing
import WliveProtocol
import WliveStore

@testable import WliveCluster

@Suite("A room's delivery order across nodes")
struct DeliveryOrderTests {
    let room = ChannelID(rawValue: 42)

    func comment(_ seq: UInt64) -> WliveProtocol.Comment {
        WliveProtocol.Comment(
            id: "42-1-\(seq)", seq: seq, channelID: room, userID: "u", source: 2, biz: "b", content: "c\(seq)", time: 0)
    }

    func delivered(_ actions: [DeliveryOrder.Action]) -> [UInt64] {
        actions.compactMap { if case .deliver(let c) = $0 { return c.seq } else { return nil } }
    }

    @Test func inOrderArrivalsAreDeliveredAtOnceAndRepeatsDropped() {
        var order = DeliveryOrder()
        order.follow(room, deliveredThrough: 0)
        #expect(delivered(order.arrived(comment(1))) == [1])
        #expect(delivered(order.arrived(comment(2))) == [2])
        #expect(order.arrived(comment(2)).isEmpty)
        #expect(order.arrived(comment(1)).isEmpty)
        #expect(order.delivered(room) == 2)
    }

    @Test func aHoleIsReadFromHistoryOnceAndWhatWaitedFollows() {
        var order = DeliveryOrder()
        order.follow(room, deliveredThrough: 3)
        #expect(order.arrived(comment(6)) == [.fetch(room, after: 3)])
        // A second arrival past the hole does not ask again while the read is out.
        #expect(order.arrived(comment(7)).isEmpty)
        let page = CommentPage(comments: [comment(4), comment(5), comment(6)], oldestRetained: 1, lastSeq: 7)
        #expect(delivered(order.fetched(room, page)) == [4, 5, 6, 7])
        #expect(order.delivered(room) == 7)
    }

    @Test func whatHistoryNoLongerHoldsBecomesAnExactGapWithItsReason() {
        var order = DeliveryOrder()
        order.follow(room, deliveredThrough: 0)
        _ = order.arrived(comment(9))
        // 1-4 trimmed, 5 retracted, 6-8 retained, 9 held.
        let page = CommentPage(
            comments: [comment(6), comment(7), comment(8), comment(9)], oldestRetained: 6, lastSeq: 9, retracted: [5])
        #expect(
            order.fetched(room, page) == [
                .gap(room, from: 1, to: 4, reason: .retention), .gap(room, from: 5, to: 5, reason: .retracted),
                .deliver(comment(6)), .deliver(comment(7)), .deliver(comment(8)), .deliver(comment(9)),
            ])
    }

    @Test func aPartialPageReadsOnFromWhereItEnded() {
        var order = DeliveryOrder()
        order.follow(room, deliveredThrough: 0)
        _ = order.arrived(comment(5))
        let first = CommentPage(comments: [comment(1), comment(2)], oldestRetained: 1, lastSeq: 5)
        // Two of four: more wait, and the read goes on after seq 2.
        #expect(order.fetched(room, first) == [.deliver(comment(1)), .deliver(comment(2)), .fetch(room, after: 2)])
        let second = CommentPage(comments: [comment(3), comment(4), comment(5)], oldestRetained: 1, lastSeq: 5)
        #expect(delivered(order.fetched(room, second)) == [3, 4, 5])
    }

    @Test func resynchronizingReadsEveryRoomAndAFailedReadIsAskedAgain() {
        var order = DeliveryOrder()
        let other = ChannelID(rawValue: 7)
        order.follow(room, deliveredThrough: 2)
        order.follow(other, deliveredThrough: 0)
        #expect(order.resynchronize() == [.fetch(other, after: 0), .fetch(room, after: 2)])
        // Reads out: asking again waits for them.
        #expect(order.resynchronize().isEmpty)
        order.fetchFailed(room)
        #expect(order.resynchronize() == [.fetch(room, after: 2)])
        #expect(order.fetched(room, CommentPage(comments: [], oldestRetained: nil, lastSeq: 2)).isEmpty)
    }

    @Test func aRoomNotFollowedIsFollowedFromItsFirstComment() {
        var order = DeliveryOrder()
        #expect(delivered(order.arrived(comment(12))) == [12])
        #expect(order.delivered(room) == 12)
        order.forget(room)
        #expect(order.delivered(room) == nil)
    }
}

@Suite("The cluster's bus messages and settings")
struct BusMessageTests {
    @Test func eventsRoundTripAndCommentsCarryTheScriptsSeq() throws {
        let room = ChannelID(rawValue: 969_806_108_841_504_768)
        var info = ChannelInfo(
            id: room, title: "t", describe: "d", coverURL: "c", extJSON: "{\"a\":1}", ownerUserID: "u", ownerBiz: "b",
            ownerSource: 2, createTime: 5, epoch: 77)
        info.state = .paused
        info.pinned = WliveProtocol.Comment(
            id: "x", seq: 3, channelID: room, userID: "v", source: 1, biz: "b", content: "hi", time: 9)
        let events: [ClusterEvent] = [
            .change(.channel(info)),
            .change(.watcher(room, Watcher(source: 2, userID: "w", biz: "b", extJSON: "", viewTime: 4), online: true)),
            .opened(info), .closed(room, state: .banned, reason: "r"),
            .moderated(room, modes: RoomModes(slowMode: 5), pin: .unpinned),
            .retracted(room, comments: [RetractedComment(id: "i", seq: 4)], reason: "spam"), .liked(room, count: 12),
            .change(.ban(UserBan(channel: nil, source: 2, userID: "w", until: 99))),
        ]
        for event in events {
            #expect(BusMessage.decode(BusMessage.encode(event, origin: "n1")) == .event(origin: "n1", event))
        }
        let record = CommentRecord(
            channel: room, epoch: 77, userID: "u", source: 2, biz: "b", extJSON: "", content: "héllo|x", commentType: "t",
            time: 10)
        // What the append script publishes: origin|C|seq|JSON.
        let published = Array("n2|C|501|".utf8) + record.json
        #expect(BusMessage.decode(published) == .comment(origin: "n2", record.numbered(501)))
        #expect(record.numbered(501).id == "969806108841504768-77-501")
        for garbage in ["", "n1", "n1|X|{}", "n1|E|{", "n1|C|x|{}", "n1|C|5|not json"] {
            #expect(BusMessage.decode(Array(garbage.utf8)) == nil)
        }
    }

    @Test func pinChangesRoundTrip() {
        let pinned = WliveProtocol.Comment(
            id: "x", seq: 3, channelID: ChannelID(rawValue: 1), userID: "v", source: 1, biz: "b", content: "hi", time: 9)
        for change: WliveProtocol.Comment?? in [.none, .some(.none), .some(pinned)] {
            #expect(PinChange(change).asOptional == change)
        }
    }

    @Test func redisURLs() {
        #expect(RedisEndpoint(url: "redis://127.0.0.1:6380/2") == RedisEndpoint(host: "127.0.0.1", port: 6380, database: 2))
        #expect(RedisEndpoint(url: "redis://localhost") == RedisEndpoint(host: "localhost"))
        for bad in [
            "", "http://x", "redis://", "redis://h:0", "redis://h:99999", "redis://u:p@h", "redis://h/x", "redis://h:1:2",
        ] {
            #expect(RedisEndpoint(url: bad) == nil, "\(bad)")
        }
    }

    @Test func aRoomsKeysShareOneHashTag() {
        let keys = ClusterKeys(cluster: "prod")
        let room = ChannelID(rawValue: 42)
        for key in [
            keys.info(room), keys.seq(room), keys.likes(room), keys.watchers(room), keys.history(room), keys.retracted(room),
        ] {
            #expect(key.hasPrefix("wlive:prod:{r42}:"))
        }
        #expect(ClusterScripts.append.sha.count == 40 && Set(ClusterScripts.all.map(\.sha)).count == 4)
    }
}
