import Testing

@testable import WliveCodec

/// Random and truncated input must give a clean error or a request for more bytes: never a
/// crash, a hang or a result that claims more than it was given.
@Suite("Parser fuzzing")
struct FuzzTests {
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Runs every complete frame of `bytes` through a decoder and assembler, as a connection does.
    func drive(_ bytes: [UInt8]) -> Int {
        let decoder = WebSocketFrameDecoder(role: .server, maxPayloadLength: 4096)
        var assembler = WebSocketMessageAssembler(maxMessageSize: 4096)
        var offset = 0
        var frames = 0
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                guard let header = try? decoder.decodeHeader(rest) else { return }
                #expect(header.headerLength >= 2 && header.headerLength <= 14 && header.payloadLength <= 4096)
                guard rest.count >= header.frameLength else { return }
                let action = assembler.receive(
                    header, payload: UnsafeRawBufferPointer(rebasing: rest[header.headerLength..<header.frameLength]))
                offset += header.frameLength
                frames += 1
                if case .fail = action { return }
            }
        }
        return frames
    }

    @Test func randomBytesThroughTheFrameDecoder() {
        var generator = SeededGenerator(state: 1)
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = drive(bytes)
        }
    }

    @Test func mutatedAndTruncatedValidFrames() {
        var generator = SeededGenerator(state: 2)
        var stream: [UInt8] = []
        for index in 0..<20 {
            let payload = Array("message \(index) 直播".utf8)
            stream += WebSocketFrameEncoder.encode(
                opcode: index % 3 == 0 ? .binary : .text, payload: payload, maskingKey: .random())
        }
        #expect(drive(stream) == 20)
        for _ in 0..<5000 {
            var mutated = Array(stream.prefix(Int.random(in: 0...stream.count, using: &generator)))
            for _ in 0..<Int.random(in: 0..<4, using: &generator) where !mutated.isEmpty {
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            #expect(drive(mutated) <= 20)
        }
    }

    @Test func randomAndTruncatedHTTPRequests() {
        var generator = SeededGenerator(state: 3)
        let valid = Array(
            "POST /live/sendComment HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nContent-Type: application/json\r\n\r\n{\"a\":\"bc\"}\n"
                .utf8)
        let alphabet = Array("GETPOST /\r\n:HTTP1.0-chunked0123456789abcdef \t".utf8) + [0, 0xFF, 0x80]
        for round in 0..<10_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            } else {
                bytes = Array(valid.prefix(Int.random(in: 0...valid.count, using: &generator)))
                if !bytes.isEmpty, Bool.random(using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            let parser = HTTPRequestParser(limits: .init(maxHeaderBytes: 512, maxBodyBytes: 64))
            let output = bytes.withUnsafeBytes { parser.parse($0) }
            for request in output.requests { #expect(request.body.count <= 64) }
            if let error = output.error { #expect([400, 413, 431].contains(error.status)) }
        }
    }
}
