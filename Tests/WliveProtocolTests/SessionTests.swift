import Foundation
import Testing
import WliveCodec

@testable import WliveProtocol

@Suite("Wlive session state machine")
struct SessionTests {
    let handshake = Array(try! JSONSerialization.data(withJSONObject: HandshakeTests.seedFields))
    let channel = ChannelID(rawValue: 970_206_673_085_952_000)

    func session(allowance: Int = 2) -> WliveSession {
        WliveSession(
            configuration: .init(heartbeat: .init(minInterval: 5, maxInterval: 120, deadAfter: 2), upstreamAllowance: allowance))
    }

    @Test func goodHandshakeResolvesThenSubscribesWithTheClampedInterval() {
        var s = session()
        #expect(s.receiveText(handshake) == .resolveChannel(channel))
        let action = s.channelResolved(.live, counts: .init(online: 3, total: 5, connections: 2), lastSeq: 9, now: 1000)
        #expect(
            action
                == .subscribe(
                    channel, interval: 120,
                    acknowledgement: .handshakeAccepted(
                        Acknowledgement(
                            channelID: channel, timerInterval: 120, counts: .init(online: 3, total: 5, connections: 2),
                            lastSeq: 9, serverTime: 1000))))
        #expect(s.state == .subscribed(channel, interval: 120))
    }

    @Test func unknownSourceIsMinus3With4403() {
        var fields = HandshakeTests.seedFields
        fields["source"] = 7
        var s = session()
        guard
            case .sendAndClose(let message, let code, _) = s.receiveText(
                Array(try! JSONSerialization.data(withJSONObject: fields)))
        else {
            Issue.record("not refused")
            return
        }
        #expect(code == .wliveUnknownSource)
        #expect(message == .handshakeRejected(code: .unknownSource, message: "unknown source 7"))
        #expect(s.state == .closed)
    }

    @Test func missingOrClosedChannelIsRefused() {
        for (status, code, close) in [
            (nil, WliveResultCode.channelNotFound, WebSocketCloseCode.wliveChannelNotFound),
            (.ended, .channelClosed, .wliveChannelClosed),
            (.banned, .channelClosed, .wliveChannelClosed),
            (.expired, .channelClosed, .wliveChannelClosed),
        ] as [(ChannelState?, WliveResultCode, WebSocketCloseCode)] {
            var s = session()
            _ = s.receiveText(handshake)
            guard
                case .sendAndClose(.handshakeRejected(let answered, _), let closeCode, _) = s.channelResolved(
                    status, counts: .init(online: 0, total: 0, connections: 0), lastSeq: 0, now: 0)
            else {
                Issue.record("not refused for \(String(describing: status))")
                continue
            }
            #expect(answered == code && closeCode == close)
        }
    }

    @Test func upstreamDataGetsErrorsThenA1008AndHeartbeatsAreTolerated() {
        var s = session(allowance: 2)
        _ = s.receiveText(handshake)
        _ = s.channelResolved(.live, counts: .init(online: 0, total: 0, connections: 1), lastSeq: 0, now: 0)
        for heartbeat in ["ping", " heartbeat ", "{\"type\": \"heartbeat\"}", "{\"type\":\"ping\",\"t\":1}"] {
            #expect(s.receiveText(Array(heartbeat.utf8)) == .none, "\(heartbeat)")
        }
        let error = ServerMessage.error(code: .permissionDenied, message: WliveSession.downstreamOnlyMessage)
        #expect(s.receiveText(Array("{\"content\":\"hi\"}".utf8)) == .send(error))
        #expect(s.receiveBinary() == .send(error))
        #expect(s.receiveText(Array("more".utf8)) == .sendAndClose(error, .policyViolation, reason: "downstream-only connection"))
        #expect(s.receiveText(Array("after".utf8)) == .none)
    }

    @Test func handshakeTimeoutOnlyBeforeTheHandshake() {
        var waiting = session()
        guard case .sendAndClose(_, .wliveHandshakeTimeout, _) = waiting.handshakeTimedOut() else {
            Issue.record("no timeout close")
            return
        }
        var subscribed = session()
        _ = subscribed.receiveText(handshake)
        _ = subscribed.channelResolved(.live, counts: .init(online: 0, total: 0, connections: 1), lastSeq: 0, now: 0)
        #expect(subscribed.handshakeTimedOut() == .none)
    }

    @Test func heartbeatClamping() {
        let policy = HeartbeatPolicy(minInterval: 5, maxInterval: 600, deadAfter: 2)
        #expect(policy.interval(forRequested: 1) == 5)
        #expect(policy.interval(forRequested: 5) == 5)
        #expect(policy.interval(forRequested: 180) == 180)
        #expect(policy.interval(forRequested: 600) == 600)
        #expect(policy.interval(forRequested: 601) == 600)
        #expect(policy.deadline(forInterval: 180) == 360)
    }
}

@Suite("Server messages")
struct ServerMessageTests {
    func decode(_ message: ServerMessage) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(message.encoded())) as? [String: Any])
    }

    @Test func commentCarriesEveryDocumentedField() throws {
        let comment = Comment(
            id: "c1", seq: 7, channelID: ChannelID(rawValue: 42), userID: "123", source: 2, biz: "wchat",
            extJSON: "{\"nickName\":\"DuLinRain\"}", content: "say \"hi\"\n\\ \u{01} \u{2028} 直播", commentType: "text",
            time: 1_520_159_155_774)
        let json = try decode(.comment(comment))
        #expect(json["type"] as? String == "comment" && json["id"] as? String == "c1" && json["seq"] as? Int == 7)
        #expect(json["channel_id"] as? String == "42" && json["userid"] as? String == "123" && json["source"] as? Int == 2)
        #expect(json["biz"] as? String == "wchat" && json["ext_json"] as? String == "{\"nickName\":\"DuLinRain\"}")
        #expect(json["content"] as? String == "say \"hi\"\n\\ \u{01} \u{2028} 直播")
        #expect(json["time"] as? Int == 1_520_159_155_774 && json["comment_type"] as? String == "text")
    }

    @Test func everyMessageIsAJSONObjectWithAType() throws {
        let channel = ChannelID(rawValue: 1)
        let messages: [(ServerMessage, String)] = [
            (
                .handshakeAccepted(
                    Acknowledgement(
                        channelID: channel, timerInterval: 60, counts: .init(online: 1, total: 1, connections: 1),
                        lastSeq: 0, serverTime: 1)), "handshake"
            ),
            (.handshakeRejected(code: .invalidParameter, message: "x"), "handshake"),
            (
                .notice(channelID: channel, kind: "online_count", counts: .init(online: 3, total: 9, connections: 2), time: 1),
                "notice"
            ),
            (
                .heartbeat(channelID: channel, counts: .init(online: 3, total: 9, connections: 2), lastSeq: 4, time: 1),
                "heartbeat"
            ),
            (.channelClosed(channelID: channel, state: .ended, reason: "bye", time: 1), "channel_closed"),
            (.error(code: .permissionDenied, message: "no"), "error"),
        ]
        for (message, type) in messages { #expect(try decode(message)["type"] as? String == type) }
        #expect(try decode(.handshakeRejected(code: .unknownSource, message: "x"))["code"] as? Int == -3)
    }

    @Test func resultCodesMatchTheSeedTable() {
        let table: [(WliveResultCode, Int)] = [
            (.success, 0), (.failure, -1), (.notLoggedIn, -2), (.unknownSource, -3),
            (.invalidParameter, -4), (.internalError, 100), (.channelNotFound, 1),
            (.channelClosed, 2), (.permissionDenied, 22), (.contentRejected, 303),
        ]
        for (code, value) in table { #expect(code.rawValue == value) }
        #expect(Set(table.map { $0.0.closeCode.rawValue }).allSatisfy { $0 == 1008 || (4000...4999).contains($0) })
    }
}
