import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Makes the run's channels before any subscriber connects, once for all processes.
public enum ChannelSetup {
    /// Wlive: `startLive` once per channel over one keep-alive connection, returning the ids.
    /// Generic: the names `c0`, `c1`, … that go into the URL templates. `channel_ids` skips this.
    public static func channels(for scenario: Scenario) throws -> [String] {
        if !scenario.channelIDs.isEmpty { return scenario.channelIDs.split(separator: ",").map(String.init) }
        switch scenario.target {
        case .generic:
            return (0..<scenario.channels).map { "c\($0)" }
        case .wlive:
            let base = try scenario.publishEndpoint()
            let credentials = scenario.credentials
            let connection = try BlockingHTTPConnection(base)
            defer { connection.close() }
            return try (0..<scenario.channels).map { index in
                let answer = try connection.exchange(
                    ClientRequests.startLive(base, user: "anchor\(index)", credentials: credentials))
                guard let object = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any],
                    object["code"] as? Int == 0, let channel = object["channel"] as? [String: Any],
                    let id = channel["channel_id"] as? String
                else {
                    throw SetupError(
                        "startLive answered \(answer.status) \(String(decoding: answer.body.prefix(200), as: UTF8.self))")
                }
                try prefill(id, scenario: scenario, base: base, through: connection)
                return id
            }
        }
    }
}

extension ChannelSetup {
    /// Posts `prefill` comments to a new channel (stamped 1, 2, ...), each by its own user.
    static func prefill(_ channel: String, scenario: Scenario, base: Endpoint, through connection: BlockingHTTPConnection) throws
    {
        for sequence in 0..<UInt64(scenario.prefill) {
            let answer = try connection.exchange(
                ClientRequests.sendComment(
                    base, channel: channel, user: "prefill\(sequence)", credentials: scenario.credentials,
                    content: CommentText.ordinary(sequence: sequence + 1, size: scenario.commentSize),
                    stamp: CommentStamp(sentAt: monotonicNanoseconds(), sequence: sequence + 1)))
            guard String(decoding: answer.body.prefix(12), as: UTF8.self).hasPrefix("{\"code\":0,") else {
                throw SetupError("prefill: sendComment answered \(String(decoding: answer.body.prefix(200), as: UTF8.self))")
            }
        }
    }
}

public struct SetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A plain blocking keep-alive HTTP connection for set-up calls, where speed does not matter.
final class BlockingHTTPConnection {
    private let fd: Int32
    private let parser = HTTPResponseParser()

    init(_ endpoint: Endpoint) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(endpoint.port).bigEndian)
        inet_pton(AF_INET, endpoint.host, &address.sin_addr)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            Glibc.close(fd)
            throw SetupError("cannot connect to \(endpoint.host):\(endpoint.port): \(String(cString: strerror(errno)))")
        }
    }

    /// Sends one request and reads its answer.
    func exchange(_ request: [UInt8]) throws -> HTTPAnswer {
        var sent = 0
        while sent < request.count {
            let count = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw SetupError("send: \(String(cString: strerror(errno)))") }
            sent += count
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw SetupError("the server closed the connection or timed out") }
            if let answer = buffer.withUnsafeBytes({ parser.parse(UnsafeRawBufferPointer(rebasing: $0[..<count])) }).first {
                return answer
            }
            if let error = parser.error { throw SetupError("bad HTTP answer: \(error)") }
        }
    }

    func close() { Glibc.close(fd) }
}
