// libFuzzer target: JSONObjectFields (members, elements, parse), WliveHandshake.parse and
// WliveSession.receiveText, all on the raw input bytes.
//
// Checks: parse is members' text; nested objects and arrays are kept as JSON text that reads
// again; what was read, written back with JSONObjectWriter's quoting, reads the same; a handshake
// that parses keeps its documented rules; every server message the session answers with is a
// JSON object. Violations trap.
import CLibFuzzer
import WliveCodec
import WliveProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }

    // Objects.
    let members = try? JSONObjectFields.members(bytes)
    let texts = try? JSONObjectFields.parse(bytes)
    precondition(members?.mapValues(\.text) == texts, "parse is not members' text")
    if let members {
        precondition(first == UInt8(ascii: "{"))
        precondition(String(validating: bytes, as: UTF8.self) != nil, "accepted invalid UTF-8")
        for member in members.values { check(member) }
        // Written back, the members read the same.
        var written: [UInt8] = [UInt8(ascii: "{")]
        for (index, (name, member)) in members.enumerated() {
            if index > 0 { written.append(UInt8(ascii: ",")) }
            JSONObjectWriter.appendQuoted(name, to: &written)
            written.append(UInt8(ascii: ":"))
            write(member, to: &written)
        }
        written.append(UInt8(ascii: "}"))
        let reread = try? JSONObjectFields.members(written)
        precondition(reread == members, "members written back read differently")
    }

    // Arrays.
    if let elements = try? JSONObjectFields.elements(bytes) {
        precondition(first == UInt8(ascii: "["))
        precondition(members == nil)
        for element in elements { check(element) }
        var written: [UInt8] = [UInt8(ascii: "[")]
        for (index, element) in elements.enumerated() {
            if index > 0 { written.append(UInt8(ascii: ",")) }
            write(element, to: &written)
        }
        written.append(UInt8(ascii: "]"))
        let reread = try? JSONObjectFields.elements(written)
        precondition(reread == elements, "elements written back read differently")
    }

    // The Wlive handshake, without and with a channel and a resume point from the URL query.
    for query in [[:], ["channel_id": "970206673085952000", "since_seq": "7", "epoch": "3"]] as [[String: String]] {
        switch WliveHandshake.parse(bytes, query: query) {
        case .success(let handshake):
            precondition(members != nil, "a handshake that is not a JSON object")
            for value in [
                handshake.appID, handshake.sdkVersion, handshake.version, handshake.osType, handshake.osVersion,
                handshake.clientType, handshake.clientVersion, handshake.deviceID, handshake.deviceType,
            ] {
                precondition(!value.isEmpty && value.utf8.count <= WliveHandshake.maxFieldBytes)
            }
            precondition(handshake.userID.utf8.count <= WliveHandshake.maxFieldBytes)
            precondition(handshake.imToken.utf8.count <= WliveHandshake.maxTokenBytes)
            precondition(handshake.timerInterval > 0 && handshake.channelID.rawValue > 0)
        case .failure(let error):
            precondition(!error.message.isEmpty)
        }
    }

    // The session: the bytes as the handshake, then as a message after it.
    var session = WliveSession(configuration: .init(), query: bytes.count & 1 == 0 ? [:] : ["channel_id": "42"])
    var action = session.receiveText(bytes)
    check(action)
    if case .resolveChannel(let id) = action {
        action = session.channelResolved(
            bytes.count % 3 == 0 ? .ended : .live,
            counts: .init(online: 1, total: 2, connections: 1), lastSeq: 7, now: 1_520_159_203_895)
        check(action)
        if case .subscribe(let channel, let interval, _) = action {
            precondition(channel == id && (5...600).contains(interval))
        }
    }
    for _ in 0..<5 { check(session.receiveText(bytes)) }
    if WliveSession.isApplicationHeartbeat(bytes) { precondition(bytes.count <= 256) }
    return 0
}

/// A member's text agrees with its kind.
func check(_ member: JSONObjectFields.Member) {
    switch member.kind {
    case .string: break
    case .number: precondition(Double(member.text) != nil, "number \(member.text) does not read as a number")
    case .boolean: precondition(member.text == "true" || member.text == "false")
    case .null: precondition(member.text.isEmpty)
    case .object:
        precondition((try? JSONObjectFields.members(Array(member.text.utf8))) != nil, "nested object does not read again")
    case .array:
        precondition((try? JSONObjectFields.elements(Array(member.text.utf8))) != nil, "nested array does not read again")
    }
}

func write(_ member: JSONObjectFields.Member, to bytes: inout [UInt8]) {
    switch member.kind {
    case .string: JSONObjectWriter.appendQuoted(member.text, to: &bytes)
    case .null: bytes += Array("null".utf8)
    default: bytes += Array(member.text.utf8)
    }
}

/// Every message the session sends is one JSON object with a type.
func check(_ action: WliveSession.Action) {
    let message: ServerMessage
    switch action {
    case .none, .resolveChannel: return
    case .subscribe(_, _, let acknowledgement): message = acknowledgement
    case .send(let sent): message = sent
    case .sendAndClose(let sent, let code, _):
        message = sent
        precondition(code.isValidOnWire, "the session closes with \(code), which may not go on the wire")
    }
    let encoded = message.encoded()
    guard let fields = try? JSONObjectFields.members(encoded) else { preconditionFailure("server message is not JSON") }
    precondition(fields["type"]?.kind == .string)
}

// MARK: - Entry point

/// On Linux SwiftPM links every executable with `--defsym main=FuzzJSON_main` (its renaming for
/// testable executables), and `-parse-as-library` emits no such symbol: it is defined here and
/// does exactly what libFuzzer's own `main` does.
@_cdecl("FuzzJSON_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
