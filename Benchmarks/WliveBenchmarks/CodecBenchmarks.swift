import Benchmark
import Foundation
import WliveCodec
import WliveProtocol

/// Frame encoding, decoding with unmasking, UTF-8 validation and the handshake parse: the work
/// done per message on the receive and send paths.
func registerCodecBenchmarks() {
    let kibibyte = [UInt8]((0..<1024).map { UInt8(truncatingIfNeeded: 0x41 + $0 % 26) })
    let maskedFrame = WebSocketFrameEncoder.encode(opcode: .text, payload: kibibyte, maskingKey: WebSocketMaskingKey(1, 2, 3, 4))
    let comment = ServerMessage.comment(
        Comment(
            id: "970206673085952000-42", seq: 42, channelID: ChannelID(rawValue: 970_206_673_085_952_000), userID: "123",
            source: 2, biz: "wchat", extJSON: "{\"nickName\":\"DuLinRain\",\"avatarUrl\":\"https://wx.qlogo.cn/x\"}",
            content: "主播好！今天的直播真精彩 hello from the benchmark", time: 1_520_159_203_895)
    ).encoded()
    let mixedText = Array(String(repeating: "直播评论 live comment ", count: 40).utf8.prefix(1024))
    let handshake = Array(
        """
        {"user_id":"","source":20,"appid":"10026-cat@aSOswgfbEL8","sdk_version":1000,"version":"j1.0",\
        "os_type":"android","os_version":"123.45.6","client_type":"weapp","client_version":"1.0.0",\
        "device_id":"wlive_userid_20_random","device_type":"meizu","im_toklen":"","timer_interval":180,\
        "channel_id":"970206673085952000"}
        """.utf8)

    Benchmark("Encode comment frame (SharedFrame, ~200 B)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(SharedFrame(opcode: .text, payload: comment)) }
    }

    Benchmark("Encode comment message JSON + frame") { benchmark in
        let message = ServerMessage.comment(
            Comment(
                id: "c", seq: 1, channelID: ChannelID(rawValue: 1), userID: "123", source: 2,
                biz: "wchat", content: "主播好！今天的直播真精彩", time: 1))
        for _ in benchmark.scaledIterations { blackHole(SharedFrame(opcode: .text, payload: message.encoded())) }
    }

    Benchmark("Decode + unmask 1 KiB text frame (with UTF-8 check)") { benchmark in
        let decoder = WebSocketFrameDecoder(role: .server, maxPayloadLength: 1 << 20)
        var assembler = WebSocketMessageAssembler(maxMessageSize: 1 << 20)
        for _ in benchmark.scaledIterations {
            maskedFrame.withUnsafeBytes { raw in
                let header = try! decoder.decodeHeader(raw)!
                blackHole(assembler.receive(header, payload: UnsafeRawBufferPointer(rebasing: raw[header.headerLength...])))
            }
        }
    }

    Benchmark("UTF-8 validate 1 KiB ASCII") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(UTF8Validator.isValid(kibibyte)) }
    }

    Benchmark("UTF-8 validate 1 KiB mixed Chinese/ASCII") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(UTF8Validator.isValid(mixedText)) }
    }

    Benchmark("Wlive handshake parse") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(WliveHandshake.parse(handshake)) }
    }

    Benchmark("Upgrade request parse + accept key") { benchmark in
        let request = Array(
            """
            GET /ws?channel_id=970206673085952000 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\n\
            Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
            Origin: https://live.example\r\nUser-Agent: benchmark\r\n\r\n
            """.utf8)
        for _ in benchmark.scaledIterations {
            let parser = HTTPRequestParser()
            let output = request.withUnsafeBytes { parser.parse($0) }
            blackHole(WebSocketUpgrade.respond(to: output.requests[0]))
        }
    }
}
