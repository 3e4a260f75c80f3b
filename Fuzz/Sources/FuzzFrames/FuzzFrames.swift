// libFuzzer target: the WebSocket receive path (frame decoder + message assembler + Wlive session),
// driven as Connection+WebSocket.swift `receiveFrames` drives it, whole and split into reads.
//
// Input layout: byte 0 and byte 1 choose how the stream is cut into reads (see `Splitter`);
// the rest is the byte stream a client sends after the upgrade.
//
// Every assembler result is checked against a small reference model written from RFC 6455 with
// Swift's own UTF-8 validation; the whole and split runs must agree. Violations trap.
import CLibFuzzer
import FuzzSupport
import WliveCodec
import WliveProtocol

private let maxPayload = 1024
private let maxMessage = 2048

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard size >= 2 else { return 0 }
    let stream = Array(input[2...])

    // 1. The whole stream in one read.
    var whole = Reader(session: true)
    let consumed = stream.withUnsafeBytes { whole.receiveFrames($0) }
    precondition(consumed <= stream.count)

    // 2. The same stream in reads whose sizes come from the first two bytes, keeping the
    //    unparsed leftover in front of the next read as the connection does.
    var split = Reader(session: false)
    var splitter = Splitter(input[0], input[1])
    var pending: [UInt8] = []
    for range in splitter.chunks(stream.count) where split.open {
        pending += stream[range]
        let used = pending.withUnsafeBytes { split.receiveFrames($0) }
        precondition(used <= pending.count)
        pending.removeFirst(used)
    }

    // Both runs see the same frames, so they report the same messages and control frames, and
    // fail on the same frame (the split run may fail earlier inside it, on invalid UTF-8 that has
    // arrived: the close code can then differ, 1007 before 1009).
    let wholeEvents = whole.actions.filter { !$0.isFail }
    let splitEvents = split.actions.filter { !$0.isFail }
    precondition(wholeEvents == splitEvents, "whole and split reads disagree")
    precondition(
        whole.actions.contains { $0.isFail } == split.actions.contains { $0.isFail },
        "only one of the whole and split reads failed")
    if whole.open {
        precondition(split.open)
        precondition(pending == Array(stream[consumed...]), "split reads kept a different leftover")
    }
    return 0
}

extension WebSocketMessageAssembler.Action {
    var isFail: Bool { if case .fail = self { return true } else { return false } }
}

// MARK: - The connection's read loop

struct Reader {
    let decoder = WebSocketFrameDecoder(role: .server, maxPayloadLength: maxPayload)
    var assembler = WebSocketMessageAssembler(maxMessageSize: maxMessage)
    var model = ReferenceAssembler()
    var session: WliveSession?
    var open = true
    var actions: [WebSocketMessageAssembler.Action] = []
    var partialFrameChecked = 0
    var partialFrameValidator = UTF8Validator()

    init(session: Bool) {
        self.session = session ? WliveSession(configuration: .init()) : nil
    }

    /// Connection.receiveFrames: returns how many bytes were consumed (whole frames only).
    mutating func receiveFrames(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while open {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let header: WebSocketFrameHeader
            do {
                guard let decoded = try decoder.decodeHeader(rest) else {
                    // A masked header is at most 14 bytes: with 14 in hand the decoder must decide.
                    precondition(rest.count < 14, "decoder wants more than a whole header")
                    break
                }
                header = decoded
            } catch {
                precondition(
                    error.closeCode == .protocolError || error.closeCode == .messageTooBig,
                    "decoder error with close code \(error.closeCode)")
                record(.fail(error))
                break
            }
            check(header, in: rest)
            guard rest.count >= header.frameLength else {
                checkArrivingText(header, UnsafeRawBufferPointer(rebasing: rest[header.headerLength...]))
                break
            }
            partialFrameChecked = 0
            let payload = UnsafeRawBufferPointer(rebasing: rest[header.headerLength..<header.frameLength])
            precondition(payload.count == header.payloadLength)
            offset += header.frameLength
            let expected = model.receive(header, payload: unmask(payload, header.maskingKey!))
            let action = assembler.receive(header, payload: payload)
            precondition(
                normalized(action) == normalized(expected),
                "assembler gave \(action), the RFC 6455 model \(expected)")
            check(action)
            record(action)
        }
        return offset
    }

    /// Connection.checkArrivingText: invalid UTF-8 fails as soon as it has arrived.
    mutating func checkArrivingText(_ header: WebSocketFrameHeader, _ arrived: UnsafeRawBufferPointer) {
        guard arrived.count > partialFrameChecked, let key = header.maskingKey else { return }
        if partialFrameChecked == 0 {
            guard let validator = assembler.textValidator(for: header) else {
                precondition(model.textSoFar(for: header) == nil)
                return
            }
            partialFrameValidator = validator
        }
        let fresh = UnsafeRawBufferPointer(rebasing: arrived[partialFrameChecked...])
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: fresh.count, alignment: 8)
        defer { scratch.deallocate() }
        key.apply(fresh, into: scratch, keyOffset: partialFrameChecked)
        let reference = unmask(fresh, key, keyOffset: partialFrameChecked)
        precondition(Array(scratch) == reference, "masking with a key offset went wrong")
        let valid = partialFrameValidator.validate(UnsafeRawBufferPointer(scratch))
        partialFrameChecked = arrived.count
        // The arrived part, after the message's earlier fragments, must be a valid UTF-8 prefix.
        if let before = model.textSoFar(for: header) {
            let text = before + unmask(arrived, key)
            precondition(valid == isValidUTF8Prefix(text), "partial-frame UTF-8 check disagrees with Swift's decoder")
        }
        if !valid { record(.fail(.init(.invalidPayloadData, "invalid UTF-8"))) }
    }

    mutating func record(_ action: WebSocketMessageAssembler.Action) {
        actions.append(action)
        switch action {
        case .fail, .close: open = false
        case .message(let opcode, let bytes):
            guard var wlive = session else { return }
            let step = opcode == .text ? wlive.receiveText(bytes) : wlive.receiveBinary()
            checkSession(step, &wlive)
            session = wlive
        default: break
        }
    }

    /// What the session says must be well-formed JSON objects with a type.
    func checkSession(_ action: WliveSession.Action, _ wlive: inout WliveSession) {
        switch action {
        case .none: break
        case .resolveChannel(let id):
            guard case .resolvingChannel(let handshake, let interval) = wlive.state else {
                preconditionFailure("resolving without state")
            }
            precondition(handshake.channelID == id && interval >= 5 && interval <= 600)
            let next = wlive.channelResolved(.live, counts: .init(online: 1, total: 1, connections: 1), lastSeq: 0, now: 0)
            guard case .subscribe(let channel, _, let acknowledgement) = next else { preconditionFailure("not subscribed") }
            precondition(channel == id)
            checkJSON(acknowledgement.encoded())
        case .subscribe(_, _, let message), .send(let message), .sendAndClose(let message, _, _):
            checkJSON(message.encoded())
        }
    }

    /// Every header the decoder returns keeps RFC 6455's rules and the limit.
    func check(_ header: WebSocketFrameHeader, in rest: UnsafeRawBufferPointer) {
        precondition((2...14).contains(header.headerLength), "header length \(header.headerLength)")
        precondition(header.headerLength <= rest.count, "header claims more bytes than given")
        precondition((0...maxPayload).contains(header.payloadLength), "payload length \(header.payloadLength)")
        precondition(header.reservedBits == 0 && !header.opcode.isReserved)
        let first = rest[0]
        let second = rest[1]
        precondition(header.fin == (first & 0x80 != 0) && header.opcode.rawValue == first & 0x0F)
        let extended = [0, 2, 8][second & 0x7F == 126 ? 1 : (second & 0x7F == 127 ? 2 : 0)]
        precondition(header.headerLength == 2 + extended + 4, "server role: every accepted frame is masked")
        if extended == 0 { precondition(header.payloadLength == Int(second & 0x7F)) }
        if header.opcode.isControl { precondition(header.fin && header.payloadLength <= 125) }
        guard let key = header.maskingKey else { preconditionFailure("server role accepted an unmasked frame") }
        precondition(key.bytes == Array(rest[header.headerLength - 4..<header.headerLength]))
        // Fewer bytes than the header: more needed, never an error; exactly the header: the same header.
        let short = UnsafeRawBufferPointer(rebasing: rest[..<(header.headerLength - 1)])
        do {
            let truncated = try decoder.decodeHeader(short)
            precondition(truncated == nil, "a truncated header did not ask for more")
            let alone = try decoder.decodeHeader(UnsafeRawBufferPointer(rebasing: rest[..<header.headerLength]))
            precondition(alone == header, "the header alone decodes differently")
        } catch {
            preconditionFailure("a prefix of a good header threw \(error)")
        }
    }

    func check(_ action: WebSocketMessageAssembler.Action) {
        switch action {
        case .none: break
        case .message(let opcode, let bytes):
            precondition(opcode == .text || opcode == .binary)
            precondition(bytes.count <= maxMessage, "message over the limit")
            if opcode == .text { precondition(String(validating: bytes, as: UTF8.self) != nil, "invalid UTF-8 text message") }
        case .compressedMessage:
            // The decoder here never negotiated permessage-deflate: RSV1 must have failed.
            preconditionFailure("a compressed message without the extension")
        case .ping(let bytes), .pong(let bytes):
            precondition(bytes.count <= 125)
        case .close(let code, let reason):
            precondition(code?.isValidOnWire ?? reason.isEmpty)
            precondition(reason.utf8.count <= 123)
        case .fail(let error):
            precondition([1002, 1007, 1009].contains(error.closeCode.rawValue), "fail with \(error.closeCode)")
        }
    }
}

private func normalized(_ action: WebSocketMessageAssembler.Action) -> WebSocketMessageAssembler.Action {
    if case .fail(let error) = action { return .fail(.init(error.closeCode, "")) }
    return action
}

/// The server's messages are JSON objects with a `type`.
func checkJSON(_ bytes: [UInt8]) {
    guard let members = try? JSONObjectFields.members(bytes) else { preconditionFailure("server message is not JSON: \(bytes)") }
    precondition(members["type"]?.kind == .string, "server message without a type")
}

// MARK: - Reference model

/// RFC 6455's receive rules, written plainly: unmasked payloads in, the action the assembler
/// should give out. UTF-8 is judged by Swift's decoder, not the project's validator.
struct ReferenceAssembler {
    var opcode: WebSocketOpcode?
    var buffer: [UInt8] = []

    /// The text a frame's payload continues, when it carries text.
    func textSoFar(for header: WebSocketFrameHeader) -> [UInt8]? {
        switch header.opcode {
        case .text: return opcode == nil ? [] : nil
        case .continuation: return opcode == .text ? buffer : nil
        default: return nil
        }
    }

    mutating func receive(_ header: WebSocketFrameHeader, payload: [UInt8]) -> WebSocketMessageAssembler.Action {
        func fail(_ code: WebSocketCloseCode) -> WebSocketMessageAssembler.Action { .fail(.init(code, "")) }
        switch header.opcode {
        case .ping: return .ping(payload)
        case .pong: return .pong(payload)
        case .close:
            if payload.isEmpty { return .close(code: nil, reason: "") }
            guard payload.count >= 2 else { return fail(.protocolError) }
            let raw = UInt16(payload[0]) << 8 | UInt16(payload[1])
            guard (1000...1003).contains(raw) || (1007...1014).contains(raw) || (3000...4999).contains(raw) else {
                return fail(.protocolError)
            }
            guard let reason = String(validating: payload[2...], as: UTF8.self) else { return fail(.invalidPayloadData) }
            return .close(code: WebSocketCloseCode(rawValue: raw), reason: reason)
        case .continuation:
            guard opcode != nil else { return fail(.protocolError) }
        default:
            guard opcode == nil else { return fail(.protocolError) }
            opcode = header.opcode
            buffer = []
        }
        guard buffer.count + payload.count <= maxMessage else { return fail(.messageTooBig) }
        buffer += payload
        if opcode == .text, !isValidUTF8Prefix(buffer) { return fail(.invalidPayloadData) }
        guard header.fin else { return .none }
        if opcode == .text, String(validating: buffer, as: UTF8.self) == nil { return fail(.invalidPayloadData) }
        defer {
            opcode = nil
            buffer = []
        }
        return .message(opcode!, buffer)
    }
}

/// Whether `bytes` is valid UTF-8 up to a last character that may still be unfinished: true when
/// it decodes, or when appending continuation bytes completes it.
func isValidUTF8Prefix(_ bytes: [UInt8]) -> Bool {
    if String(validating: bytes, as: UTF8.self) != nil { return true }
    for missing in 1...3 {
        // The second byte of a sequence has the narrowest ranges (E0, ED, F0, F4): try their edges.
        for next: UInt8 in [0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF] {
            let completed = bytes + [next] + [UInt8](repeating: 0x80, count: missing - 1)
            if String(validating: completed, as: UTF8.self) != nil { return true }
        }
    }
    return false
}

func unmask(_ payload: UnsafeRawBufferPointer, _ key: WebSocketMaskingKey, keyOffset: Int = 0) -> [UInt8] {
    let keyBytes = key.bytes
    return payload.enumerated().map { index, byte in byte ^ keyBytes[(index + keyOffset) % 4] }
}

// MARK: - Entry point

/// On Linux SwiftPM links every executable with `--defsym main=FuzzFrames_main` (its renaming for
/// testable executables), and `-parse-as-library` emits no such symbol: it is defined here and
/// does exactly what libFuzzer's own `main` does.
@_cdecl("FuzzFrames_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
