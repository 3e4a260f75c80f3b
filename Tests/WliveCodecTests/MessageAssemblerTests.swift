import Testing

@testable import WliveCodec

/// Feeds frames (built unmasked, as a client would mask them) through one assembler.
struct AssemblerHarness {
    var assembler: WebSocketMessageAssembler

    init(maxMessageSize: Int = 1 << 20) { assembler = WebSocketMessageAssembler(maxMessageSize: maxMessageSize) }

    mutating func feed(_ opcode: WebSocketOpcode, fin: Bool = true, _ payload: [UInt8]) -> WebSocketMessageAssembler.Action {
        let key = WebSocketMaskingKey.random()
        let frame = WebSocketFrameEncoder.encode(opcode: opcode, fin: fin, payload: payload, maskingKey: key)
        let decoder = WebSocketFrameDecoder(role: .server, maxPayloadLength: 1 << 24)
        return frame.withUnsafeBytes { raw in
            let header = try! decoder.decodeHeader(raw)!
            return assembler.receive(header, payload: UnsafeRawBufferPointer(rebasing: raw[header.headerLength...]))
        }
    }
}

@Suite("Message assembly")
struct MessageAssemblerTests {
    @Test func fragmentsWithInterleavedControlFrames() {
        var h = AssemblerHarness()
        #expect(h.feed(.text, fin: false, Array("frag".utf8)) == .none)
        #expect(h.feed(.ping, Array("p".utf8)) == .ping(Array("p".utf8)))
        #expect(h.feed(.continuation, fin: false, Array("men".utf8)) == .none)
        #expect(h.feed(.pong, []) == .pong([]))
        #expect(h.feed(.continuation, Array("ted".utf8)) == .message(.text, Array("fragmented".utf8)))
        #expect(!h.assembler.isInsideMessage)
        #expect(h.feed(.binary, [1, 2]) == .message(.binary, [1, 2]))
    }

    @Test func continuationWithoutStartAndNestedStartFail() {
        var h = AssemblerHarness()
        #expect(h.feed(.continuation, [1]) == .fail(.init(.protocolError, "continuation without a message")))
        var h2 = AssemblerHarness()
        _ = h2.feed(.binary, fin: false, [1])
        #expect(h2.feed(.text, [2]) == .fail(.init(.protocolError, "new message inside a fragmented one")))
    }

    @Test func invalidUTF8FailsFastInTheFragmentThatHasIt() {
        var h = AssemblerHarness()
        // "κόσμε" then an invalid byte in the second fragment, which is not final.
        #expect(h.feed(.text, fin: false, Array("κόσμε".utf8)) == .none)
        #expect(h.feed(.continuation, fin: false, [0xF4, 0x90]) == .fail(.init(.invalidPayloadData, "invalid UTF-8")))
    }

    @Test func characterSplitAcrossFragmentsIsFine() {
        var h = AssemblerHarness()
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        #expect(h.feed(.text, fin: false, [euro[0]]) == .none)
        #expect(h.feed(.continuation, fin: false, [euro[1]]) == .none)
        #expect(h.feed(.continuation, [euro[2]]) == .message(.text, euro))
    }

    @Test func truncatedCharacterAtTheEndFails() {
        var h = AssemblerHarness()
        #expect(h.feed(.text, [0xE2, 0x82]) == .fail(.init(.invalidPayloadData, "truncated UTF-8")))
    }

    @Test func messageSizeLimitCountsAllFragments() {
        var h = AssemblerHarness(maxMessageSize: 10)
        #expect(h.feed(.binary, fin: false, [UInt8](repeating: 0, count: 6)) == .none)
        #expect(h.feed(.continuation, [UInt8](repeating: 0, count: 5)) == .fail(.init(.messageTooBig, "message too big")))
        var exact = AssemblerHarness(maxMessageSize: 10)
        #expect(exact.feed(.binary, [UInt8](repeating: 0, count: 10)) == .message(.binary, [UInt8](repeating: 0, count: 10)))
    }

    @Test func emptyMessagesAreMessages() {
        var h = AssemblerHarness()
        #expect(h.feed(.text, []) == .message(.text, []))
        #expect(h.feed(.binary, []) == .message(.binary, []))
    }
}

@Suite("Close frames")
struct CloseFrameTests {
    @Test func emptyCloseHasNoCode() {
        #expect(WebSocketMessageAssembler.parseClose([]) == .close(code: nil, reason: ""))
    }

    @Test func oneBytePayloadIsAProtocolError() {
        #expect(WebSocketMessageAssembler.parseClose([0x03]) == .fail(.init(.protocolError, "close payload of one byte")))
    }

    @Test(
        arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4404, 4999]
            as [UInt16])
    func validCodesAreAccepted(code: UInt16) {
        let payload = WebSocketFrameEncoder.closePayload(code: .init(rawValue: code), reason: "bye")
        #expect(WebSocketMessageAssembler.parseClose(payload) == .close(code: .init(rawValue: code), reason: "bye"))
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] as [UInt16])
    func invalidCodesAreProtocolErrors(code: UInt16) {
        let payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        #expect(WebSocketMessageAssembler.parseClose(payload) == .fail(.init(.protocolError, "invalid close code")))
    }

    @Test func reasonMustBeUTF8() {
        #expect(
            WebSocketMessageAssembler.parseClose([0x03, 0xE8, 0xFF])
                == .fail(.init(.invalidPayloadData, "invalid UTF-8 in close reason")))
    }

    @Test func closePayloadNeverSplitsACharacterNorExceeds125Bytes() {
        let payload = WebSocketFrameEncoder.closePayload(code: .normalClosure, reason: String(repeating: "评", count: 60))
        #expect(payload.count <= 125)
        #expect(UTF8Validator.isValid(Array(payload.dropFirst(2))))
        #expect(WebSocketCloseCode.noStatusReceived.isValidOnWire == false)
        #expect(WebSocketCloseCode.abnormalClosure.isValidOnWire == false)
    }
}
