// libFuzzer target: permessage-deflate (WliveDeflate): the `Sec-WebSocket-Extensions` offer
// parser and the inflater a client's compressed messages go through.
//
// Input layout: byte 0 picks the mode; even: the rest is an extensions header value; odd: the
// rest is a compressed message as a client would send it.
//
// Checks: an accepted offer has a window of 9...15 and our own answer, read back as an offer,
// agrees to the same thing; the inflater never returns more than its limit, and it inflates
// back exactly what our compressor made of the input. Violations trap.
import CLibFuzzer
import WliveDeflate

// libFuzzer calls the target from one thread.
nonisolated(unsafe) private let compressor = DeflateCompressor(level: 1)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard size >= 1 else { return 0 }
    let rest = Array(input[1...])
    if input[0] & 1 == 0 {
        let header = String(decoding: rest, as: UTF8.self)
        if let agreed = PerMessageDeflate.negotiate(offers: [header]) {
            precondition((9...15).contains(agreed.serverMaxWindowBits), "window outside 9...15")
            precondition(PerMessageDeflate.negotiate(offers: [agreed.responseHeader]) == agreed, "answer does not read back")
        }
        return 0
    }
    let limit = 4096
    do {
        let inflated = try DeflateInflater(clientNoContextTakeover: true).inflate(rest, limit: limit)
        precondition(inflated.count <= limit, "inflated past the limit")
    } catch {}
    let compressed = rest.withUnsafeBytes { compressor.compress($0) }
    let back = try? DeflateInflater(clientNoContextTakeover: true).inflate(compressed, limit: 1 << 20)
    precondition(back == rest, "a compressed message did not inflate back to itself")
    return 0
}

// MARK: - Entry point

/// On Linux SwiftPM links every executable with `--defsym main=FuzzDeflate_main`; see FuzzForm.
@_cdecl("FuzzDeflate_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
