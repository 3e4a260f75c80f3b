import Testing
import WliveCodec

@testable import WliveDeflate

@Suite("permessage-deflate negotiation (RFC 7692 section 7.1)")
struct NegotiationTests {
    @Test func aPlainOfferIsAcceptedWithoutServerContextTakeover() throws {
        let agreed = try #require(PerMessageDeflate.negotiate(offers: ["permessage-deflate"]))
        #expect(agreed == PerMessageDeflate(serverMaxWindowBits: 15, clientNoContextTakeover: false))
        #expect(agreed.responseHeader == "permessage-deflate; server_no_context_takeover")
    }

    @Test func clientParametersAreHonoured() throws {
        let agreed = try #require(
            PerMessageDeflate.negotiate(offers: [
                "permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits"
            ]))
        #expect(agreed.clientNoContextTakeover)
        #expect(agreed.serverMaxWindowBits == 10)
        #expect(
            agreed.responseHeader
                == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10")
        #expect(agreed.compresses(payloadLength: 1024))
        #expect(!agreed.compresses(payloadLength: 1025))
    }

    @Test func quotedValuesAndCaseAreAccepted() throws {
        let agreed = try #require(PerMessageDeflate.negotiate(offers: ["Permessage-Deflate; Server_Max_Window_Bits=\"9\""]))
        #expect(agreed.serverMaxWindowBits == 9)
    }

    @Test(arguments: [
        "permessage-deflate; server_max_window_bits",  // the value is required
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=8",  // zlib cannot keep to 256 bytes
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=99",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; unknown_parameter",
        "x-webkit-deflate-frame",
    ])
    func badOffersAreDeclined(_ offer: String) {
        #expect(PerMessageDeflate.negotiate(offers: [offer]) == nil)
    }

    @Test func theFirstAcceptableOfferWins() throws {
        let agreed = try #require(
            PerMessageDeflate.negotiate(offers: [
                "permessage-deflate; server_max_window_bits=20, permessage-deflate; server_max_window_bits=9",
                "permessage-deflate",
            ]))
        #expect(agreed.serverMaxWindowBits == 9)
    }
}

@Suite("permessage-deflate data (RFC 7692 section 7.2)")
struct DeflateDataTests {
    let hello = Array("Hello".utf8)

    @Test func compressesTheRFCExample() {
        let compressor = DeflateCompressor()
        let compressed = hello.withUnsafeBytes { compressor.compress($0) }
        #expect(compressed == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        // No context is kept: the second message compresses exactly as the first.
        #expect(hello.withUnsafeBytes { compressor.compress($0) } == compressed)
        #expect(compressor.compressedCount == 2)
    }

    @Test func inflatesTheRFCExamples() throws {
        let inflater = DeflateInflater(clientNoContextTakeover: false)
        #expect(try inflater.inflate([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], limit: 100) == hello)
        // Section 7.2.3.2: the same message again, referring back into the kept window.
        #expect(try inflater.inflate([0xF2, 0x00, 0x11, 0x00, 0x00], limit: 100) == hello)
        // A stored (uncompressed) block, section 7.2.3.3.
        #expect(try inflater.inflate([0x00, 0x05, 0x00, 0xFA, 0xFF] + hello, limit: 100) == hello)
    }

    @Test func roundTripsLargeMessages() throws {
        let compressor = DeflateCompressor(level: 1)
        let inflater = DeflateInflater(clientNoContextTakeover: true)
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 125, 4096, 200_000] {
            let text = (0..<size).map { _ in UInt8.random(in: 0x61...0x66, using: &generator) }
            let compressed = text.withUnsafeBytes { compressor.compress($0) }
            #expect(try inflater.inflate(compressed, limit: 1 << 20) == text)
        }
    }

    @Test func aDeflateBombStopsAtTheLimit() {
        let zeros = [UInt8](repeating: 0, count: 4 << 20)
        let bomb = zeros.withUnsafeBytes { DeflateCompressor(level: 9).compress($0) }
        #expect(bomb.count < 8 << 10)
        let inflater = DeflateInflater(clientNoContextTakeover: false)
        #expect(throws: DeflateInflater.Failure.tooBig) { try inflater.inflate(bomb, limit: 64 << 10) }
    }

    @Test func corruptDataIsRefused() {
        let inflater = DeflateInflater(clientNoContextTakeover: false)
        #expect(throws: DeflateInflater.Failure.corrupt) { try inflater.inflate([0xFF, 0xFF, 0xFF, 0xFF, 0x01], limit: 1000) }
    }

    @Test func aFrameIsCompressedOnlyWhenThatMakesItSmaller() throws {
        let compressor = DeflateCompressor()
        #expect(hello.withUnsafeBytes { compressor.compressedFrame(opcode: .text, payload: $0) } == nil)
        let repetitive = Array(String(repeating: "{\"type\":\"comment\"}", count: 20).utf8)
        let frame = try #require(repetitive.withUnsafeBytes { compressor.compressedFrame(opcode: .text, payload: $0) })
        #expect(frame.bytes[0] == 0xC1)  // FIN, RSV1, text
        #expect(frame.payload.count < repetitive.count / 4)
        let inflated = try DeflateInflater(clientNoContextTakeover: true).inflate(Array(frame.payload), limit: 1 << 16)
        #expect(inflated == repetitive)
    }
}

@Suite("Compressed frames on the receive side")
struct CompressedFrameTests {
    func header(_ first: UInt8, negotiated: Bool) throws -> WebSocketFrameHeader? {
        var decoder = WebSocketFrameDecoder(role: .server, maxPayloadLength: 1 << 16)
        decoder.acceptsCompressedFrames = negotiated
        let frame: [UInt8] = [first, 0x80, 1, 2, 3, 4]
        return try frame.withUnsafeBytes { try decoder.decodeHeader($0) }
    }

    @Test func rsv1NeedsTheExtensionAndADataFrame() throws {
        #expect(throws: WebSocketProtocolError.self) { try header(0xC1, negotiated: false) }
        #expect(try header(0xC1, negotiated: true)?.reservedBits == 0b100)
        #expect(throws: WebSocketProtocolError.self) { try header(0xC9, negotiated: true) }  // ping with RSV1
        #expect(throws: WebSocketProtocolError.self) { try header(0xA1, negotiated: true) }  // RSV2
    }

    @Test func aCompressedMessageIsHandedOverWholeAndUnchecked() {
        var assembler = WebSocketMessageAssembler(maxMessageSize: 1 << 16)
        let first = WebSocketFrameHeader(
            fin: false, reservedBits: 0b100, opcode: .text, maskingKey: nil, payloadLength: 2, headerLength: 2)
        let last = WebSocketFrameHeader(fin: true, opcode: .continuation, maskingKey: nil, payloadLength: 2, headerLength: 2)
        // Not UTF-8 on its own: it is checked once inflated.
        #expect([UInt8]([0xFF, 0xFE]).withUnsafeBytes { assembler.receive(first, payload: $0) } == .none)
        #expect(
            [UInt8]([0x01, 0x02]).withUnsafeBytes { assembler.receive(last, payload: $0) }
                == .compressedMessage(.text, [0xFF, 0xFE, 0x01, 0x02]))
    }

    @Test func rsv1OnAContinuationFails() {
        var assembler = WebSocketMessageAssembler(maxMessageSize: 1 << 16)
        let first = WebSocketFrameHeader(fin: false, opcode: .text, maskingKey: nil, payloadLength: 1, headerLength: 2)
        let last = WebSocketFrameHeader(
            fin: true, reservedBits: 0b100, opcode: .continuation, maskingKey: nil, payloadLength: 1, headerLength: 2)
        _ = [UInt8]([0x61]).withUnsafeBytes { assembler.receive(first, payload: $0) }
        let action = [UInt8]([0x61]).withUnsafeBytes { assembler.receive(last, payload: $0) }
        guard case .fail = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
    }
}
