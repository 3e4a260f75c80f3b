import Foundation

@testable import WliveServer

/// One HTTP response as the tests read it off a socket.
struct TestHTTPResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
}

extension TestSocket {
    /// Reads one response (Content-Length bodies only, which is all the gateway sends).
    func readResponse(timeout: Double = 5) throws -> TestHTTPResponse {
        try read(timeout: timeout, what: "an HTTP response") { bytes in
            guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
            let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst()
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            guard bytes.count >= end.upperBound + length else { return nil }
            let status = Int(statusLine.split(separator: " ")[1]) ?? 0
            return (
                TestHTTPResponse(status: status, headers: headers, body: Array(bytes[end.upperBound..<end.upperBound + length])),
                end.upperBound + length
            )
        }
    }
}

/// Talks to the gateway's HTTP API port.
struct TestAPIClient {
    let port: Int
    static let common =
        "appid=101&source=2&biz=wchat&userid=123&sdk_version=1.0&version=1&os_type=devtools&os_version=iOS%2010.0.1&client_type=WeChat&client_version=6.6.3&authtoken=&test=1"

    static func request(_ call: String, _ form: String, connection: String = "keep-alive") -> String {
        let body = common + (form.isEmpty ? "" : "&" + form)
        return "POST /live/\(call) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + "Connection: \(connection)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// One call on a fresh connection; returns the envelope.
    func call(_ name: String, _ form: String = "") throws -> [String: Any] {
        let socket = try TestSocket(port: port)
        try socket.write(Self.request(name, form, connection: "close"))
        let response = try socket.readResponse()
        guard response.status == 200, let json = response.json else {
            throw TestClientError.unexpected("HTTP \(response.status)")
        }
        return json
    }

    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~")))!
    }

    func startLive() throws -> ChannelID {
        let reply = try call("startLive", "channel_title=t&channel_describe=d&cover_url=c&ext_json=")
        guard let text = (reply["channel"] as? [String: Any])?["channel_id"] as? String, let id = ChannelID(text) else {
            throw TestClientError.unexpected("startLive answered \(reply)")
        }
        return id
    }

    func sendComment(_ channel: ChannelID, _ content: String, user: String = "123") throws -> [String: Any] {
        let comment = String(
            decoding: try JSONSerialization.data(withJSONObject: ["channel_id": channel.description, "content": content]),
            as: UTF8.self)
        // A field given twice takes its last value: this one overrides the common userid.
        return try call("sendComment", "comment=\(Self.encode(comment))&userid=\(user)")
    }
}
