import Testing

@testable import WliveCodec

@Suite("Server-Sent Events records")
struct ServerSentEventTests {
    func text(_ frame: SharedFrame) -> String { String(decoding: frame.bytes, as: UTF8.self) }

    @Test func aRecordNamesTheTypeAndTheSeq() {
        let json = Array(#"{"type":"comment","seq":7,"content":"主播好"}"#.utf8)
        let record = json.withUnsafeBytes { ServerSentEvent.record(json: $0, id: 7) }
        #expect(text(record) == "event: comment\nid: 7\ndata: {\"type\":\"comment\",\"seq\":7,\"content\":\"主播好\"}\n\n")
    }

    @Test func withoutAnIdOrATypeTheDefaultsApply() {
        let json = Array(#"{"code":0}"#.utf8)
        let record = json.withUnsafeBytes { ServerSentEvent.record(json: $0, id: nil) }
        #expect(text(record) == "event: message\ndata: {\"code\":0}\n\n")
        let odd = Array("{\"type\":\"a\nb\"}".utf8)
        #expect(text(odd.withUnsafeBytes { ServerSentEvent.record(json: $0, id: nil) }).hasPrefix("event: a\ndata: "))
    }

    @Test func theHeadOpensAStreamThatTheCloseEnds() {
        let head = String(decoding: ServerSentEvent.responseHead, as: UTF8.self)
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.hasSuffix("\r\n\r\n"))
        #expect(head.contains("Content-Type: text/event-stream") && head.contains("Connection: close"))
        #expect(!head.contains("Content-Length"))
    }
}
