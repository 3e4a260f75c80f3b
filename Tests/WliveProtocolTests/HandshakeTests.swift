import Foundation
import Testing

@testable import WliveProtocol

@Suite("Wlive handshake parsing")
struct HandshakeTests {
    /// The field values of seed 000, section 1.11, plus a channel.
    nonisolated(unsafe) static let seedFields: [String: Any] = [
        "user_id": "", "source": 20, "appid": "10026-cat@aSOswgfbEL8", "sdk_version": 1000, "version": "j1.0",
        "os_type": "android", "os_version": "123.45.6", "client_type": "app,weapp,pcapp,pcweb", "client_version": "1.0.0",
        "device_id": "wlive_userid_source_random", "device_type": "meizu", "im_toklen": " ", "timer_interval": 180,
        "channel_id": "970206673085952000",
    ]

    func json(_ fields: [String: Any]) -> [UInt8] { Array(try! JSONSerialization.data(withJSONObject: fields)) }

    func parsed(_ changes: [String: Any?], query: String? = nil) -> Result<WliveHandshake, WliveHandshakeError> {
        var fields = Self.seedFields
        for (key, value) in changes { fields[key] = value }
        return WliveHandshake.parse(json(fields), query: query.map { ["channel_id": $0] } ?? [:])
    }

    @Test func theSeedsOwnHandshakeParses() throws {
        let handshake = try parsed([:]).get()
        #expect(handshake.source == 20 && handshake.appID == "10026-cat@aSOswgfbEL8" && handshake.sdkVersion == "1000")
        #expect(handshake.timerInterval == 180 && handshake.channelID == ChannelID(rawValue: 970_206_673_085_952_000))
        #expect(handshake.deviceType == "meizu" && handshake.imToken == " " && handshake.userID == "")
    }

    @Test func aResumingClientSaysWhereItStandsInTheJSONOrTheQuery() throws {
        #expect(try parsed([:]).get().resume == nil)
        #expect(try parsed(["since_seq": 250, "epoch": "77"]).get().resume == ResumePoint(sinceSeq: 250, epoch: 77))
        #expect(try parsed(["since_seq": "0"]).get().resume == ResumePoint(sinceSeq: 0, epoch: nil))
        let fromQuery = WliveHandshake.parse(json(Self.seedFields), query: ["since_seq": "9", "epoch": "3"])
        #expect(try fromQuery.get().resume == ResumePoint(sinceSeq: 9, epoch: 3))
        // The JSON wins over the query.
        var fields = Self.seedFields
        fields["since_seq"] = 10
        #expect(try WliveHandshake.parse(json(fields), query: ["since_seq": "9"]).get().resume?.sinceSeq == 10)
        for bad: [String: Any?] in [["since_seq": -1], ["since_seq": "x"], ["since_seq": 1.5], ["since_seq": 1, "epoch": "e"]] {
            guard case .failure(let error) = parsed(bad) else {
                Issue.record("\(bad) accepted")
                continue
            }
            #expect(error.code == .invalidParameter)
        }
    }

    @Test func numbersMayBeNumericStringsAndStringsMayBeNumbers() throws {
        let handshake = try parsed(["source": "2", "timer_interval": "60", "channel_id": 42, "appid": 101]).get()
        #expect(
            handshake.source == 2 && handshake.timerInterval == 60 && handshake.channelID.rawValue == 42
                && handshake.appID == "101")
    }

    @Test func imTokenIsAcceptedUnderEitherName() throws {
        #expect(try parsed(["im_toklen": nil, "im_token": "abc"]).get().imToken == "abc")
    }

    @Test func channelFromTheQueryWhenTheJSONHasNone() throws {
        #expect(try parsed(["channel_id": nil], query: "77").get().channelID.rawValue == 77)
        #expect(try parsed([:], query: "77").get().channelID.rawValue == 970_206_673_085_952_000)
    }

    @Test(arguments: WliveHandshake.requiredStringFields + ["source", "timer_interval", "channel_id"])
    func missingRequiredFieldIsMinus4(field: String) {
        guard case .failure(let error) = parsed([field: nil]) else {
            Issue.record("\(field) missing was accepted")
            return
        }
        #expect(error.code == .invalidParameter)
        #expect(error.message.contains(field))
    }

    @Test func optionalFieldsMayBeAbsent() throws {
        _ = try parsed(["user_id": nil, "im_toklen": nil]).get()
    }

    @Test(
        arguments: [
            ["timer_interval": 0], ["timer_interval": -5], ["timer_interval": 1.5], ["timer_interval": "soon"],
            ["source": "two"], ["source": true], ["channel_id": "12ab"], ["channel_id": "-1"], ["channel_id": "0"],
            ["channel_id": "99999999999999999999999"], ["appid": ["nested"]], ["os_type": ""],
        ] as [[String: any Sendable]])
    func malformedValuesAreMinus4(changes: [String: any Sendable]) {
        guard case .failure(let error) = parsed(changes.mapValues { $0 as Any? }) else {
            Issue.record("\(changes) was accepted")
            return
        }
        #expect(error.code == .invalidParameter)
    }

    @Test(arguments: ["", "not json", "[]", "42", "{", "{\"source\":"])
    func nonObjectsAreMinus4(text: String) {
        guard case .failure(let error) = WliveHandshake.parse(Array(text.utf8)) else {
            Issue.record("accepted \(text)")
            return
        }
        #expect(error.code == .invalidParameter)
    }
}
