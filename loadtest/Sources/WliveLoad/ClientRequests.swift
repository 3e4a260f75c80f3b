import Foundation
import WliveAPI
import WliveCodec

/// The bytes a load client sends: WebSocket upgrades, the Wlive handshake, and posts.
public enum ClientRequests {
    /// A GET asking to upgrade to WebSocket, and the `Sec-WebSocket-Accept` the answer must carry;
    /// with `deflate`, offering permessage-deflate (the server compresses each message on its own).
    public static func upgrade(_ endpoint: Endpoint, deflate: Bool = false) -> (request: [UInt8], expectedAccept: String) {
        var nonce = [UInt8](repeating: 0, count: 16)
        for index in nonce.indices { nonce[index] = .random(in: 0...255) }
        let key = Data(nonce).base64EncodedString()
        let request =
            "GET \(endpoint.target) HTTP/1.1\r\nHost: \(endpoint.host):\(endpoint.port)\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
            + (deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n" : "") + "\r\n"
        return (Array(request.utf8), WebSocketUpgrade.acceptValue(forKey: key))
    }

    /// The Wlive handshake (docs/PROTOCOL.md section 2) as one masked text frame.
    public static func wliveHandshake(channel: String, timerInterval: Int, device: Int, sinceSeq: Int? = nil) -> [UInt8] {
        let resume = sinceSeq.map { ",\"since_seq\":\($0)" } ?? ""
        let json = """
            {"user_id":"","source":20,"appid":"wlive-load","sdk_version":1000,"version":"j1.0","os_type":"linux",\
            "os_version":"6","client_type":"wlive-load","client_version":"1.0.0","device_id":"wlive-load-\(device)",\
            "device_type":"loopback","im_toklen":"","timer_interval":\(timerInterval),"channel_id":"\(channel)"\(resume)}
            """
        return WebSocketFrameEncoder.encode(opcode: .text, payload: Array(json.utf8), maskingKey: .random())
    }

    /// A masked pong echoing a ping's payload.
    public static func pong(_ payload: UnsafeRawBufferPointer) -> [UInt8] {
        WebSocketFrameEncoder.encode(opcode: .pong, payload: payload, maskingKey: .random())
    }

    /// The common fields of every Wlive API call (docs/HTTP_API.md), as JSON members.
    static func commonFields(user: String, credentials: Credentials) -> String {
        let login =
            switch credentials {
            case .test: "\"test\":\"1\""
            case .secret(let secret):
                "\"authtoken\":\"\(AuthTokenVerifier.mint(userID: user, source: 2, expiry: Int64(Date().timeIntervalSince1970) + 86_400, secret: secret))\""
            }
        return
            "\"appid\":\"101\",\"source\":2,\"biz\":\"wload\",\"userid\":\"\(user)\",\"version\":\"1\",\"sdk_version\":\"1.0\","
            + "\"os_type\":\"linux\",\"os_version\":\"6\",\"client_type\":\"wlive-load\",\"client_version\":\"1\",\(login)"
    }

    /// How posts log in: `test=1` (allowed on development gateways) or a minted `authtoken`.
    public enum Credentials: Sendable, Equatable {
        case test
        case secret(String)
    }

    /// `POST <base>startLive` for a load channel.
    public static func startLive(_ base: Endpoint, user: String, credentials: Credentials) -> [UInt8] {
        post(
            base.target + "startLive", host: base,
            body: "{\(commonFields(user: user, credentials: credentials)),"
                + "\"channel_title\":\"load\",\"channel_describe\":\"wlive-load\",\"cover_url\":\"http://127.0.0.1/cover.png\"}")
    }

    /// `POST <base>sendComment` carrying `content` and the stamp in `ext_json`.
    public static func sendComment(
        _ base: Endpoint, channel: String, user: String, credentials: Credentials,
        content: String, stamp: CommentStamp
    ) -> [UInt8] {
        sendComment(
            base, channel: channel, common: commonFields(user: user, credentials: credentials), content: content, stamp: stamp)
    }

    /// The same, with the user's common fields already made (see `commonFields`).
    static func sendComment(_ base: Endpoint, channel: String, common: String, content: String, stamp: CommentStamp) -> [UInt8] {
        post(
            base.target + "sendComment", host: base,
            body: "{\(common),"
                + "\"comment\":{\"channel_id\":\"\(channel)\",\"content\":\"\(content)\",\"ext_json\":{\"wl\":\"\(stamp.text)\"}}}"
        )
    }

    /// `POST <base>sendLike`: one like for `channel`.
    static func sendLike(_ base: Endpoint, channel: String, common: String) -> [UInt8] {
        post(base.target + "sendLike", host: base, body: "{\(common),\"channel_id\":\"\(channel)\",\"count\":1}")
    }

    /// `POST <base>deleteComment` of `commentID`, its stamp in `reason` (which the server passes
    /// on in `comment_deleted`).
    static func deleteComment(_ base: Endpoint, channel: String, common: String, commentID: String, stamp: DeletionStamp)
        -> [UInt8]
    {
        post(
            base.target + "deleteComment", host: base,
            body: "{\(common),\"channel_id\":\"\(channel)\",\"comment_id\":\"\(commentID)\",\"reason\":\"\(stamp.text)\"}")
    }

    /// A generic publish: the stamp then padding to `size` bytes, as the body.
    public static func genericPublish(_ endpoint: Endpoint, stamp: CommentStamp, size: Int) -> [UInt8] {
        var body = stamp.text
        if body.utf8.count < size { body += String(repeating: "x", count: size - body.utf8.count) }
        return post(endpoint.target, host: endpoint, body: body, contentType: "text/plain")
    }

    static func post(_ target: String, host: Endpoint, body: String, contentType: String = "application/json") -> [UInt8] {
        let bodyBytes = body.utf8.count
        return Array(
            "POST \(target) HTTP/1.1\r\nHost: \(host.host):\(host.port)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bodyBytes)\r\n\r\n\(body)"
                .utf8)
    }
}

/// Comment texts that read like viewers' chat and that Wlive's spam rules pass: distinct for
/// every sequence number (so no flood or repeat rule fires), no digits (no contact rule), no
/// banned word. A unit test runs them through the real spam filter.
public enum CommentText {
    static let words = [
        "nice", "stream", "great", "show", "wow", "thanks", "host", "amazing", "play",
        "again", "today", "happy", "cheers", "awesome", "friends", "music",
    ]

    /// `sequence` spelt in words (base 16), then padded with more words up to `size` characters;
    /// never cut, so it stays distinct (a 24-bit sequence takes at most 6 words).
    public static func ordinary(sequence: UInt64, size: Int) -> String {
        var text = ""
        var value = sequence
        repeat {
            if !text.isEmpty { text += " " }
            text += words[Int(value & 15)]
            value >>= 4
        } while value > 0
        var pad = 0
        // ASCII words: bytes are characters, and counting bytes is constant time.
        while text.utf8.count + 1 + words[pad % words.count].utf8.count <= size {
            text += " " + words[pad % words.count]
            pad += 1
        }
        return text
    }

    /// Phrases Wlive's starter dictionary bans: a spam probe that must be refused with 303.
    public static let spam = ["click here for free money", "buy followers now", "online casino bonus", "make money fast here"]
}
