/// Server-Sent Events records (the WHATWG HTML `text/event-stream` format): what an SSE
/// subscriber is sent in place of WebSocket frames.
public enum ServerSentEvent {
    /// The response head that opens a stream. The body is close-delimited (no length, no
    /// chunking), so each record goes out as the same shared bytes for every subscriber.
    public static let responseHead = Array(
        ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\n"
            + "Connection: close\r\nX-Accel-Buffering: no\r\n\r\n").utf8)

    /// One record: `event:` the JSON's `type`, `id:` the seq (when given), `data:` the JSON on one
    /// line (JSON text never holds a raw line break, so one `data:` line carries it whole).
    public static func record(json: UnsafeRawBufferPointer, id: UInt64?) -> SharedFrame {
        let event = eventName(json)
        let idLine = id.map { Array("id: \($0)\n".utf8) } ?? []
        let head = Array("event: ".utf8) + event + [0x0A] + idLine + Array("data: ".utf8)
        return SharedFrame(count: head.count + json.count + 2) { destination in
            head.withUnsafeBytes { destination.copyMemory(from: $0) }
            if json.count > 0 { UnsafeMutableRawBufferPointer(rebasing: destination[head.count...]).copyMemory(from: json) }
            destination[head.count + json.count] = 0x0A
            destination[head.count + json.count + 1] = 0x0A
        }
    }

    private static let typePrefix = Array("{\"type\":\"".utf8)

    /// The `type` member a Wlive message starts with; "message" (the SSE default) otherwise.
    static func eventName(_ json: UnsafeRawBufferPointer) -> [UInt8] {
        guard json.count > typePrefix.count, zip(json, typePrefix).allSatisfy({ $0 == $1 }) else {
            return Array("message".utf8)
        }
        var name: [UInt8] = []
        for byte in json[typePrefix.count...] {
            // Type names are plain ASCII words: stop at the closing quote, or at anything odd.
            guard byte != 0x22, byte >= 0x20, byte < 0x7F, name.count < 64 else { break }
            name.append(byte)
        }
        return name.isEmpty ? Array("message".utf8) : name
    }
}
