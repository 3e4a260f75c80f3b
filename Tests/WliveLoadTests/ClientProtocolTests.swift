import Foundation
import Testing
import WliveSpam

@testable import WliveLoad

@Suite("Client requests, answers and comment texts")
struct ClientProtocolTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func parse(_ parser: HTTPResponseParser, _ text: String) -> [HTTPAnswer] {
        Array(text.utf8).withUnsafeBytes { parser.parse($0) }
    }

    @Test func pipelinedAnswersComeOutInOrderAcrossReads() {
        let parser = HTTPResponseParser()
        let stream =
            "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{\"code\":303}\n"
            + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"cod\r\n7\r\ne\": -2}\r\n0\r\n\r\n"
            + "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
        var answers: [HTTPAnswer] = []
        // Byte by byte: answers must not depend on where reads split.
        for byte in stream.utf8 { answers += [byte].withUnsafeBytes { parser.parse($0) } }
        #expect(answers.map(\.status) == [200, 200, 201])
        #expect(answers.map(\.envelopeCode) == [303, -2, nil])
        #expect(parser.error == nil)
        _ = parse(parser, "garbage\r\n\r\n")
        #expect(parser.error != nil)
    }

    @Test func envelopeCodeIsRead() {
        #expect(HTTPAnswer(status: 200, body: Array("{\"code\":0,\"message\":\"success\"}".utf8)).envelopeCode == 0)
        #expect(HTTPAnswer(status: 200, body: Array("{\"message\":\"x\",\"code\": -4}".utf8)).envelopeCode == -4)
        #expect(HTTPAnswer(status: 200, body: Array("{\"code\":\"x\"}".utf8)).envelopeCode == nil)
    }

    @Test func postsAreWellFormedJSON() throws {
        let base = Endpoint(host: "127.0.0.1", port: 8081, target: "/live/")
        let request = String(
            decoding: ClientRequests.sendComment(
                base, channel: "42", user: "u1", credentials: .secret("s3cret"),
                content: "wow nice", stamp: CommentStamp(sentAt: 9, sequence: 3)), as: UTF8.self)
        #expect(request.hasPrefix("POST /live/sendComment HTTP/1.1\r\n"))
        let parts = request.components(separatedBy: "\r\n\r\n")
        #expect(parts[0].contains("Content-Length: \(parts[1].utf8.count)"))
        let body = try #require(try JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any])
        #expect(body["userid"] as? String == "u1" && (body["authtoken"] as? String)?.hasPrefix("v1.") == true)
        let comment = try #require(body["comment"] as? [String: Any])
        #expect(comment["channel_id"] as? String == "42" && comment["content"] as? String == "wow nice")
        #expect((comment["ext_json"] as? [String: Any])?["wl"] as? String == "wlt=9;wls=3;")
    }

    /// The texts the poster sends must pass Wlive's real spam rules (else the load test would
    /// measure refusals), and the spam probes must not.
    @Test func ordinaryTextsPassTheSpamFilterAndProbesDoNot() throws {
        let words = BannedWordDictionary.parse(
            try String(contentsOf: Self.root.appendingPathComponent("config/banned-words.txt"), encoding: .utf8))
        var filter = SpamFilter(settings: SpamSettings(), dictionary: BannedWordDictionary(words: words))
        // One channel at 2,000 posts a second, users taking turns as the poster picks them.
        for sequence in UInt64(1)...20_000 {
            let text = CommentText.ordinary(sequence: sequence, size: 40)
            let user = "2:u\((sequence - 1) % 10_000)"
            let verdict = filter.check(channel: 1, user: user, content: text, now: Double(sequence) / 2000)
            #expect(verdict == nil, "\(text): \(String(describing: verdict))")
            if verdict != nil { break }
        }
        #expect(CommentText.ordinary(sequence: 0xFFFFFF, size: 10).count <= 60)
        #expect(CommentText.ordinary(sequence: 1, size: 100).count <= 100)
        for (index, probe) in CommentText.spam.enumerated() {
            #expect(filter.check(channel: 2, user: "2:s\(index)", content: probe, now: 100)?.rule == .bannedWord, "\(probe)")
        }
    }
}
