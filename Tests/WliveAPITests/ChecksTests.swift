import Foundation
import Testing
import WliveCodec
import WliveProtocol
import WliveStore

@testable import WliveAPI

@Suite("Common fields, login and the order of checks")
struct ChecksTests {
    @Test(arguments: [
        "appid", "source", "biz", "userid", "version", "sdk_version", "os_type", "os_version", "client_type", "client_version",
    ])
    func missingOrEmptyCommonFieldIsMinus4(field: String) throws {
        let h = APIHarness()
        #expect(code(try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: [field: nil])) == -4)
        #expect(code(try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: [field: ""])) == -4)
    }

    @Test func unknownSourceIsMinus3AndANonNumberIsMinus4() throws {
        let h = APIHarness()
        #expect(code(try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: ["source": "99"])) == -3)
        #expect(code(try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: ["source": "two"])) == -4)
        #expect(code(try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: ["source": "108"])) == 0)
    }

    @Test func loginNeedsAValidTokenUnlessTestIsAllowed() throws {
        let h = APIHarness { $0.allowTest = false }
        let now = h.clock.milliseconds / 1000
        let noTest: [String: String?] = ["test": nil]
        #expect(code(try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: noTest)) == -2)
        // test has no effect here.
        #expect(code(try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: ["test": "1"])) == -2)
        let good = AuthTokenVerifier.mint(userID: "123", source: 2, expiry: now + 60, secret: APIHarness.secret)
        #expect(code(try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: ["test": nil, "authtoken": good])) == 0)
        #expect(
            code(
                try h.call(
                    "retrieveChannel", ["channel_ids": "[]"], overriding: ["test": nil, "authtoken": good, "userid": "124"]))
                == -2)
        #expect(
            code(
                try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: ["test": nil, "authtoken": good, "source": "3"]))
                == -2)
        let forged = AuthTokenVerifier.mint(userID: "123", source: 2, expiry: now + 60, secret: "not-the-secret")
        #expect(code(try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: ["test": nil, "authtoken": forged])) == -2)
        let expired = AuthTokenVerifier.mint(userID: "123", source: 2, expiry: now - 1, secret: APIHarness.secret)
        #expect(
            code(try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: ["test": nil, "authtoken": expired])) == -2)
        #expect(
            code(try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: ["test": nil, "authtoken": "garbage"])) == -2)
    }

    @Test func testSkipsLoginWhereAllowed() throws {
        let h = APIHarness()
        #expect(code(try h.call("retrieveChannel", ["channel_ids": "[]"])) == 0)
        #expect(code(try h.call("retrieveChannel", ["channel_ids": "[]"], overriding: ["test": "0"])) == -2)
    }

    @Test func secretsRotate() {
        let verifier = AuthTokenVerifier(secrets: ["new", "old"])
        let old = AuthTokenVerifier.mint(userID: "u", source: 2, expiry: 200, secret: "old")
        let new = AuthTokenVerifier.mint(userID: "u", source: 2, expiry: 200, secret: "new")
        #expect((try? verifier.verify(old, userID: "u", source: 2, now: 100).get()) != nil)
        #expect((try? verifier.verify(new, userID: "u", source: 2, now: 100).get()) != nil)
        #expect(throws: AuthTokenVerifier.Failure.badSignature) {
            try AuthTokenVerifier(secrets: ["new"]).verify(old, userID: "u", source: 2, now: 100).get()
        }
        #expect(throws: AuthTokenVerifier.Failure.noSecretConfigured) {
            try AuthTokenVerifier(secrets: []).verify(new, userID: "u", source: 2, now: 100).get()
        }
    }

    @Test func sendCommentChecksInTheDocumentedOrder() throws {
        let h = APIHarness { $0.allowTest = false }
        let token = AuthTokenVerifier.mint(
            userID: "123", source: 2, expiry: h.clock.milliseconds / 1000 + 600, secret: APIHarness.secret)
        let authed: [String: String?] = ["test": nil, "authtoken": token]
        let start = try h.call(
            "startLive", ["channel_title": "t", "channel_describe": "d", "cover_url": "c"], overriding: authed)
        let id = try #require((start["channel"] as? [String: Any])?["channel_id"] as? String)
        func send(_ comment: String?, _ overrides: [String: String?]) throws -> Int? {
            var fields: [String: String] = [:]
            if let comment { fields["comment"] = comment }
            return code(try h.call("sendComment", fields, overriding: overrides))
        }
        let spam = "{\"channel_id\":\"\(id)\",\"content\":\"fuck\"}"
        // A bad field beats a missing login; a missing login beats an unknown channel; and so on.
        #expect(try send(nil, ["test": nil]) == -4)
        #expect(try send("{\"channel_id\":\"1\",\"content\":\"fuck\"}", ["test": nil]) == -2)
        #expect(try send("{\"channel_id\":\"1\",\"content\":\"fuck\"}", authed) == 1)
        #expect(try send(spam, authed) == 303)
        _ = try h.call("stopLive", ["channel_id": id], overriding: authed)
        #expect(try send(spam, authed) == 2)
    }

    @Test func unknownPathsAndMethodsAreHTTPErrors() {
        let h = APIHarness()
        #expect(h.api.respond(to: HTTPRequest(method: "POST", target: "/live/nope")).status == 404)
        #expect(h.api.respond(to: HTTPRequest(method: "POST", target: "/other")).status == 404)
        let put = h.api.respond(to: HTTPRequest(method: "PUT", target: "/live/startLive"))
        #expect(put.status == 405 && put.headers.contains { $0.name == "Allow" } && put.closesConnection)
        let head = h.api.respond(to: HTTPRequest(method: "HEAD", target: "/live/startLive"))
        #expect(head.status == 405 && head.body.isEmpty)
    }

    @Test func jsonBodiesAndQueryParametersWorkToo() throws {
        let h = APIHarness()
        var body = APIHarness.common
        body["channel_title"] = "json"
        body["channel_describe"] = "d"
        body["cover_url"] = "c"
        var json = try JSONSerialization.jsonObject(with: JSONSerialization.data(withJSONObject: body)) as! [String: Any]
        json["source"] = 2  // a number in JSON
        let request = HTTPRequest(
            method: "POST", target: "/live/startLive", headers: [("Content-Type", "application/json")],
            body: Array(try JSONSerialization.data(withJSONObject: json)))
        #expect(code(try APIHarness.decode(h.api.respond(to: request))) == 0)
        let query = String(decoding: APIHarness.formBody(APIHarness.common.merging(["channel_ids": "[]"]) { $1 }), as: UTF8.self)
        #expect(
            code(try APIHarness.decode(h.api.respond(to: HTTPRequest(method: "GET", target: "/live/retrieveChannel?\(query)"))))
                == 0)
        let broken = HTTPRequest(
            method: "POST", target: "/live/startLive", headers: [("Content-Type", "application/json")], body: Array("{nope".utf8))
        #expect(code(try APIHarness.decode(h.api.respond(to: broken))) == -4)
    }

    final class FailingStore: LiveStore {
        struct Broken: Error {}
        func insert(_ channel: ChannelInfo) throws { throw Broken() }
        func channel(_ id: ChannelID) throws -> ChannelInfo? { throw Broken() }
        func close(_ id: ChannelID, as state: ChannelState, releaseTime: Int64, reason: String) throws -> ChannelInfo? {
            throw Broken()
        }
        func update(_ id: ChannelID, _ change: (inout ChannelInfo) -> Void) throws -> ChannelInfo? { throw Broken() }
        func join(_ id: ChannelID, _ watcher: Watcher) throws -> ChannelInfo? { throw Broken() }
        func leave(_ id: ChannelID, source: Int, userID: String) throws -> ChannelInfo? { throw Broken() }
        func watchers(of id: ChannelID, after cursor: WatcherCursor?, count: Int, ascending: Bool) throws -> [Watcher] {
            throw Broken()
        }
    }

    @Test func aFailingStoreIs100AndAPushTierRefusalKeepsItsCode() throws {
        let failing = APIHarness(store: FailingStore())
        #expect(code(try failing.call("startLive", ["channel_title": "t", "channel_describe": "d", "cover_url": "c"])) == 100)
        let h = APIHarness()
        let id = try h.startChannel()
        // A refusal from the push tier keeps its code (here: the channel closed there meanwhile).
        h.fanOut.refusePublishing = true
        #expect(code(try h.comment(id, "hello")) == 2)
    }

    @Test func formDecodingHandlesPlusPercentAndJunk() {
        #expect(
            RequestFields.parseURLEncoded("a=1&b=x+y&c=%E7%9B%B4&d=%zz&e&=f") == [
                "a": "1", "b": "x y", "c": "直", "d": "%zz", "e": "",
            ])
        #expect(RequestFields.parseURLEncoded("k=%E7%9B") == ["k": "\u{FFFD}"])
    }

    @Test func aCombiningMarkAfterADelimiterDoesNotHideIt() {
        // "&\u{301}" is one Character; splitting by characters used to swallow field b.
        #expect(RequestFields.parseURLEncoded("a=1&\u{301}b=2") == ["a": "1", "\u{301}b": "2"])
        #expect(RequestFields.parseURLEncoded("a=\u{301}1") == ["a": "\u{301}1"])
        let request = HTTPRequest(method: "GET", target: "/live/x?\u{301}a=1")
        #expect(request.path == "/live/x" && request.query == "\u{301}a=1")
    }
}
