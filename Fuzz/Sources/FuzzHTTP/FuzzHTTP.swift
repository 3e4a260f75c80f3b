// libFuzzer target: HTTPRequestParser (keep-alive, pipelining, chunked bodies, limits, upgrades)
// and the WebSocket upgrade check on every request it returns.
//
// Input layout: byte 0 and byte 1 choose how the stream is cut into reads (see `Splitter`);
// the rest is the byte stream a client sends on a fresh connection.
//
// The stream is parsed whole and in reads: both must give the same requests, the same error
// status and the same bytes after an upgrade. Violations trap.
import CLibFuzzer
import FuzzSupport
import WliveCodec

private let limits = HTTPRequestParser.Limits(maxHeaderBytes: 1024, maxBodyBytes: 4096)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard size >= 2 else { return 0 }
    let stream = Array(input[2...])

    // 1. The whole stream in one read.
    let wholeParser = HTTPRequestParser(limits: limits)
    var whole = Run()
    whole.feed(stream[...], to: wholeParser)

    // 2. The same stream in reads whose sizes come from the first two bytes. Reads go on after
    //    an error or an upgrade, to check the parser stays broken or hands the bytes back.
    let splitParser = HTTPRequestParser(limits: limits)
    var split = Run()
    var splitter = Splitter(input[0], input[1])
    for range in splitter.chunks(stream.count) {
        split.feed(stream[range], to: splitParser)
    }

    precondition(whole.requests == split.requests, "whole and split reads gave different requests")
    precondition(
        whole.error?.status == split.error?.status,
        "whole read: \(whole.error.map(\.description) ?? "no error"), split reads: \(split.error.map(\.description) ?? "no error")"
    )
    precondition(whole.leftover == split.leftover, "whole and split reads hand back different bytes after an upgrade")
    precondition(wholeParser.isUpgraded == splitParser.isUpgraded)
    precondition(wholeParser.isInsideRequest == splitParser.isInsideRequest || whole.error != nil)

    // After the stream: an upgraded parser hands every byte back, a broken one keeps its error.
    let more = Array(stream.prefix(7))
    whole.feed(more[...], to: wholeParser)

    for request in whole.requests { check(request) }
    return 0
}

/// Everything one parser produced over a connection's reads.
struct Run {
    var requests: [HTTPRequest] = []
    var leftover: [UInt8]?
    var error: HTTPParseError?

    mutating func feed(_ bytes: ArraySlice<UInt8>, to parser: HTTPRequestParser) {
        let wasUpgraded = parser.isUpgraded
        let output = bytes.withUnsafeBytes { parser.parse($0) }
        if let error = output.error {
            precondition([400, 413, 431].contains(error.status), "error status \(error.status)")
            precondition(output.upgradeLeftover == nil, "an error together with an upgrade")
        }
        for request in output.requests {
            precondition(request.body.count <= limits.maxBodyBytes, "body over the limit")
        }
        if let previous = error {
            precondition(output.error == previous && output.requests.isEmpty, "a broken parser did not stay broken")
            return
        }
        if wasUpgraded {
            precondition(
                output.requests.isEmpty && output.error == nil && output.upgradeLeftover == Array(bytes),
                "an upgraded parser did not hand the bytes back")
        }
        if let handedBack = output.upgradeLeftover {
            precondition(parser.isUpgraded, "leftover without an upgrade")
            if !wasUpgraded {
                precondition(output.requests.last?.isUpgrade == true, "leftover without an upgrade request")
                precondition(output.requests.last?.body.isEmpty == true, "an upgrade request with a body")
            }
            leftover = (leftover ?? []) + handedBack
        } else {
            precondition(!parser.isUpgraded || bytes.isEmpty, "upgraded without handing bytes back")
        }
        // Nothing follows an upgrade request as HTTP.
        precondition(output.requests.dropLast().allSatisfy { !$0.isUpgrade }, "a request parsed after an upgrade")
        requests += output.requests
        error = output.error
    }
}

/// The request's own helpers, and the WebSocket opening handshake on it.
func check(_ request: HTTPRequest) {
    precondition(!request.method.isEmpty)
    // By bytes, as the request splits its target: a combining mark right after the `?` joins
    // it into one Character, which text comparison would neither find nor put back together.
    if request.target.utf8.contains(UInt8(ascii: "?")) {
        precondition(Array(request.path.utf8) + [UInt8(ascii: "?")] + Array(request.query.utf8) == Array(request.target.utf8))
    } else {
        precondition(request.path == request.target && request.query.isEmpty)
    }
    for (name, value) in request.headers {
        precondition(request.value(of: name) != nil)
        precondition(value.trimmingASCIIWhitespace() == value[...], "header value not trimmed")
    }
    switch WebSocketUpgrade.respond(to: request, allowedOrigins: Set(request.values(of: "X-Allow"))) {
    case .success(let response):
        precondition(response.status == 101 && request.method == "GET")
        let key = request.value(of: "Sec-WebSocket-Key")!
        precondition(WebSocketUpgrade.isValidKey(key))
        precondition(
            response.headers.contains {
                $0.name == "Sec-WebSocket-Accept" && $0.value == WebSocketUpgrade.acceptValue(forKey: key)
            })
        precondition(response.encoded().starts(with: Array("HTTP/1.1 101 ".utf8)))
    case .failure(let rejection):
        precondition([400, 403, 405, 426].contains(rejection.status), "upgrade rejected with \(rejection.status)")
        precondition(!rejection.response.encoded().isEmpty)
    }
}

// MARK: - Entry point

/// On Linux SwiftPM links every executable with `--defsym main=FuzzHTTP_main` (its renaming for
/// testable executables), and `-parse-as-library` emits no such symbol: it is defined here and
/// does exactly what libFuzzer's own `main` does.
@_cdecl("FuzzHTTP_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
