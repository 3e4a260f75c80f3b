import Testing

@testable import WliveCodec

/// Decodes one whole frame the way a server does and runs it through a fresh assembler.
func decodeOne(_ bytes: [UInt8], role: WebSocketFrameDecoder.Role = .server, maxPayload: Int = 1 << 20)
    throws -> (WebSocketFrameHeader, WebSocketMessageAssembler.Action)?
{
    let decoder = WebSocketFrameDecoder(role: role, maxPayloadLength: maxPayload)
    var assembler = WebSocketMessageAssembler(maxMessageSize: maxPayload)
    return try bytes.withUnsafeBytes { raw in
        guard let header = try decoder.decodeHeader(raw), raw.count >= header.frameLength else { return nil }
        let payload = UnsafeRawBufferPointer(rebasing: raw[header.headerLength..<header.frameLength])
        return (header, assembler.receive(header, payload: payload))
    }
}

@Suite("RFC 6455 section 5.7 examples")
struct RFCExampleTests {
    let hello = Array("Hello".utf8)

    @Test func singleFrameUnmaskedText() throws {
        let frame: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        #expect(WebSocketFrameEncoder.encode(opcode: .text, payload: hello) == frame)
        let (header, action) = try #require(try decodeOne(frame, role: .client))
        #expect(header.fin && header.opcode == .text && header.maskingKey == nil)
        #expect(action == .message(.text, hello))
    }

    @Test func singleFrameMaskedText() throws {
        let frame: [UInt8] = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        let key = WebSocketMaskingKey(0x37, 0xfa, 0x21, 0x3d)
        #expect(WebSocketFrameEncoder.encode(opcode: .text, payload: hello, maskingKey: key) == frame)
        let (header, action) = try #require(try decodeOne(frame))
        #expect(header.maskingKey == key)
        #expect(action == .message(.text, hello))
    }

    @Test func fragmentedUnmaskedText() throws {
        let first: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6c]
        let second: [UInt8] = [0x80, 0x02, 0x6c, 0x6f]
        #expect(WebSocketFrameEncoder.encode(opcode: .text, fin: false, payload: Array("Hel".utf8)) == first)
        #expect(WebSocketFrameEncoder.encode(opcode: .continuation, payload: Array("lo".utf8)) == second)
        let decoder = WebSocketFrameDecoder(role: .client, maxPayloadLength: 100)
        var assembler = WebSocketMessageAssembler(maxMessageSize: 100)
        var actions: [WebSocketMessageAssembler.Action] = []
        for frame in [first, second] {
            frame.withUnsafeBytes { raw in
                let header = try! decoder.decodeHeader(raw)!
                actions.append(assembler.receive(header, payload: UnsafeRawBufferPointer(rebasing: raw[header.headerLength...])))
            }
        }
        #expect(actions == [.none, .message(.text, hello)])
    }

    @Test func unmaskedPingAndMaskedPong() throws {
        let ping: [UInt8] = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        #expect(WebSocketFrameEncoder.encode(opcode: .ping, payload: hello) == ping)
        #expect(try decodeOne(ping, role: .client)?.1 == .ping(hello))
        let pong: [UInt8] = [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        #expect(try decodeOne(pong)?.1 == .pong(hello))
    }

    @Test func sixteenAndSixtyFourBitLengths() throws {
        let small = [UInt8](repeating: 7, count: 256)
        let encoded = WebSocketFrameEncoder.encode(opcode: .binary, payload: small)
        #expect(Array(encoded.prefix(4)) == [0x82, 0x7E, 0x01, 0x00])
        #expect(try decodeOne(encoded, role: .client)?.1 == .message(.binary, small))
        let big = [UInt8](repeating: 9, count: 65536)
        let encodedBig = WebSocketFrameEncoder.encode(opcode: .binary, payload: big)
        #expect(Array(encodedBig.prefix(10)) == [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
        #expect(try decodeOne(encodedBig, role: .client)?.1 == .message(.binary, big))
    }

    @Test func acceptKeyOfTheRFCSample() {
        #expect(WebSocketUpgrade.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }
}

@Suite("Frame decoder rules")
struct FrameDecoderRuleTests {
    func error(_ bytes: [UInt8], role: WebSocketFrameDecoder.Role = .server, maxPayload: Int = 1 << 20) -> WebSocketProtocolError?
    {
        do {
            _ = try decodeOne(bytes, role: role, maxPayload: maxPayload)
            return nil
        } catch {
            return error as? WebSocketProtocolError
        }
    }

    @Test func needsMoreBytesForPartialHeaders() throws {
        let full = WebSocketFrameEncoder.encode(
            opcode: .binary, payload: [UInt8](repeating: 1, count: 70000), maskingKey: .random())
        let decoder = WebSocketFrameDecoder(role: .server, maxPayloadLength: 1 << 20)
        for cut in 0..<14 {
            let header = try Array(full.prefix(cut)).withUnsafeBytes { try decoder.decodeHeader($0) }
            #expect(header == nil, "prefix of \(cut) bytes")
        }
        let header = try full.withUnsafeBytes { try decoder.decodeHeader($0) }
        #expect(header?.payloadLength == 70000 && header?.headerLength == 14)
    }

    @Test func refusesReservedBitsOpcodesAndUnmaskedFrames() {
        let masked: [UInt8] = [0x80, 0, 0, 0, 0]
        #expect(error([0x81 | 0x40, 0x80] + masked.dropFirst())?.closeCode == .protocolError)  // RSV1
        #expect(error([0x81 | 0x10, 0x80, 0, 0, 0, 0])?.closeCode == .protocolError)  // RSV3
        for opcode: UInt8 in [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            #expect(error([0x80 | opcode, 0x80, 0, 0, 0, 0])?.closeCode == .protocolError, "opcode \(opcode)")
        }
        #expect(error([0x81, 0x00])?.reason == "client frame not masked")
        #expect(error([0x81, 0x80, 1, 2, 3, 4], role: .client)?.reason == "server frame masked")
    }

    @Test func refusesBadControlFrames() {
        #expect(error([0x09, 0x80, 0, 0, 0, 0])?.reason == "fragmented control frame")
        #expect(error([0x89, 0xFE, 0, 126, 0, 0, 0, 0])?.reason == "control frame over 125 bytes")
    }

    @Test func refusesHugeAndTopBitLengths() {
        #expect(error([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])?.closeCode == .protocolError)
        #expect(error([0x82, 0xFE, 0x04, 0x01, 0, 0, 0, 0], maxPayload: 1024)?.closeCode == .messageTooBig)
        #expect(error([0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], maxPayload: 1024)?.closeCode == .messageTooBig)
    }

    @Test func maskingInPiecesEqualsMaskingWhole() {
        let key = WebSocketMaskingKey(0x12, 0x34, 0x56, 0x78)
        let payload = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        var whole = [UInt8](repeating: 0, count: payload.count)
        var pieces = whole
        payload.withUnsafeBytes { source in
            whole.withUnsafeMutableBytes { key.apply(source, into: $0) }
            pieces.withUnsafeMutableBytes { destination in
                var offset = 0
                for size in [1, 3, 7, 8, 13, 500, 468] {
                    key.apply(
                        UnsafeRawBufferPointer(rebasing: source[offset..<offset + size]),
                        into: UnsafeMutableRawBufferPointer(rebasing: destination[offset..<offset + size]), keyOffset: offset)
                    offset += size
                }
            }
        }
        #expect(whole == pieces)
        let keyBytes = key.bytes
        #expect(whole.enumerated().allSatisfy { $0.element == payload[$0.offset] ^ keyBytes[$0.offset % 4] })
    }
}
