import WliveCodec
import WliveDeflate

/// One subscriber: upgrade, Wlive handshake (for the wlive target), then reading comments,
/// recording their latency and checking their order. Pings are answered so the server keeps it.
final class SubscriberClient: TCPClient {
    enum State { case connecting, upgrading, handshaking, subscribed }

    struct Plan: Sendable {
        var endpoint: Endpoint
        var channel: String
        var channelIndex: Int
        var source: String?
        var wliveHandshake: Bool
        var heartbeatInterval: Int
        var slow: Bool
        var device: Int
        /// The handshake's `since_seq`, for a resuming subscriber.
        var sinceSeq: Int?
        /// Offer permessage-deflate.
        var deflate = false
    }

    let plan: Plan
    private(set) var state = State.connecting
    private var startedAt: UInt64 = 0
    private var expectedAccept = ""
    private var tracker = SequenceTracker()
    /// Replayed comments still to come, as the acknowledgement announced them.
    private var replayOwed = 0
    /// Subscribed when posting began: the comments it is owed are counted from then.
    var countsAsReader = false
    private var decoder = WebSocketFrameDecoder(role: .client, maxPayloadLength: 16 << 20)
    private static let gapPrefix = Array("{\"type\":\"gap\"".utf8)
    private static let likesPrefix = Array("{\"type\":\"notice\",\"notice\":\"likes\"".utf8)
    private static let totalLikesKey = Array("\"total_likes\":".utf8)
    private static let deletedPrefix = Array("{\"type\":\"comment_deleted\"".utf8)
    private static let handshakePrefix = Array("{\"type\":\"handshake\",\"code\":0,".utf8)
    private static let replayedKey = Array("\"replayed\":".utf8)

    /// Called once when the subscription is settled: subscribed, or failed before it.
    var onSettled: (() -> Void)?

    init(loop: LoadLoop, plan: Plan) {
        self.plan = plan
        super.init(loop: loop)
    }

    func start() {
        startedAt = monotonicNanoseconds()
        loop.tally.connectAttempts += 1
        // A slow reader also keeps a small receive buffer, as a phone on a poor network would:
        // otherwise loopback's large socket buffers swallow megabytes before the server's
        // fanout.max_pending_bytes is ever reached.
        connect(host: plan.endpoint.host, port: plan.endpoint.port, source: plan.source, receiveBuffer: plan.slow ? 4096 : nil)
    }

    override func didConnect() {
        state = .upgrading
        let upgrade = ClientRequests.upgrade(plan.endpoint, deflate: plan.deflate)
        expectedAccept = upgrade.expectedAccept
        write(upgrade.request)
    }

    override func didRead(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        if state == .upgrading {
            guard let end = Self.headEnd(bytes) else {
                if bytes.count > 16 * 1024 { fail("upgrade answer too long") }
                return 0
            }
            let head = String(decoding: bytes[..<end], as: UTF8.self)
            guard head.hasPrefix("HTTP/1.1 101"), head.contains(expectedAccept) else {
                fail("upgrade refused: \(head.prefix(40))")
                return bytes.count
            }
            offset = end
            if plan.deflate, head.lowercased().contains("sec-websocket-extensions: permessage-deflate") {
                decoder.acceptsCompressedFrames = true
                loop.tally.deflateSubscribers += 1
            }
            if plan.wliveHandshake {
                state = .handshaking
                write(
                    ClientRequests.wliveHandshake(
                        channel: plan.channel, timerInterval: plan.heartbeatInterval, device: plan.device,
                        sinceSeq: plan.sinceSeq))
            } else {
                subscribed()
            }
        }
        var comments = 0
        var now: UInt64 = 0
        let framesStart = offset
        defer { loop.tally.subscriberWireBytes += offset - framesStart }
        while offset < bytes.count, !isClosed {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let header: WebSocketFrameHeader
            do {
                guard let decoded = try decoder.decodeHeader(rest), rest.count >= decoded.frameLength else { break }
                header = decoded
            } catch {
                fail("bad frame: \(error)")
                break
            }
            let wirePayload = UnsafeRawBufferPointer(rebasing: rest[header.headerLength..<header.frameLength])
            offset += header.frameLength
            if header.reservedBits != 0 {
                // The server compresses each message on its own, so one inflater serves the loop.
                guard let inflated = try? loop.inflater.inflate(Array(wirePayload), limit: 16 << 20) else {
                    fail("bad compressed frame")
                    break
                }
                inflated.withUnsafeBytes { handleData($0, now: &now, comments: &comments) }
                continue
            }
            switch header.opcode {
            case .text, .binary, .continuation:
                handleData(wirePayload, now: &now, comments: &comments)
            case .ping:
                write(ClientRequests.pong(wirePayload))
            case .close:
                fail("closed by server: \(wirePayload.count >= 2 ? Int(wirePayload[0]) << 8 | Int(wirePayload[1]) : 1005)")
            default:
                break
            }
        }
        if comments > 0 {
            loop.progress.delivered.add(comments, ordering: .relaxed)
            loop.progress.lastDelivery.store(now, ordering: .relaxed)
        }
        return offset
    }

    /// One data message's payload (inflated, if it came compressed).
    private func handleData(_ payload: UnsafeRawBufferPointer, now: inout UInt64, comments: inout Int) {
        if state == .handshaking {
            guard payload.has(Self.handshakePrefix, at: 0) else {
                fail("handshake refused: \(String(decoding: payload.prefix(80), as: UTF8.self))")
                return
            }
            subscribed()
            if plan.sinceSeq != nil {
                replayOwed = Self.replayed(payload) ?? 0
                if replayOwed == 0 { replayed() }
            }
        } else if payload.has(Self.likesPrefix, at: 0) {
            loop.tally.likeNotices += 1
            if let total = Self.number(after: Self.totalLikesKey, in: payload) {
                loop.tally.highestLikeTotal = max(loop.tally.highestLikeTotal, total)
            }
        } else if payload.has(Self.deletedPrefix, at: 0) {
            if now == 0 { now = monotonicNanoseconds() }
            loop.tally.deletionsReceived += 1
            if let stamp = DeletionStamp.find(in: payload), countsAsReader {
                loop.tally.deletionLatency.record(now > stamp.sentAt ? max(1, (now - stamp.sentAt) / 1000) : 1)
            }
        } else if let stamp = CommentStamp.find(in: payload) {
            if now == 0 { now = monotonicNanoseconds() }
            received(stamp, at: now)
            comments += 1
            if replayOwed > 0 {
                replayOwed -= 1
                if replayOwed == 0 { replayed() }
            }
        } else if payload.has(Self.gapPrefix, at: 0) {
            loop.tally.gapNotices += 1
            loop.tally.gapMissed += Self.missed(payload)
        }
    }

    private func subscribed() {
        state = .subscribed
        let elapsed = (monotonicNanoseconds() - startedAt) / 1000
        loop.tally.connectLatency.record(max(1, elapsed))
        loop.tally.connected += 1
        loop.progress.connected.add(1, ordering: .relaxed)
        if plan.slow {
            loop.tally.slowReaders += 1
            stopReading()
        }
        settle()
    }

    /// A resuming subscriber has its whole replay.
    private func replayed() {
        let now = monotonicNanoseconds()
        loop.tally.resumed += 1
        loop.tally.resumeLatency.record(max(1, (now - startedAt) / 1000))
        loop.tally.resumeStart = loop.tally.resumeStart == 0 ? startedAt : min(loop.tally.resumeStart, startedAt)
        loop.tally.resumeEnd = max(loop.tally.resumeEnd, now)
    }

    /// The acknowledgement's `replayed` count.
    private static func replayed(_ payload: UnsafeRawBufferPointer) -> Int? { number(after: replayedKey, in: payload) }

    /// The decimal number right after `key` in `payload`.
    private static func number(after key: [UInt8], in payload: UnsafeRawBufferPointer) -> Int? {
        guard let start = payload.firstIndex(of: key) else { return nil }
        var value = 0
        var offset = start + key.count
        while offset < payload.count, payload[offset] >= 0x30, payload[offset] <= 0x39 {
            value = value * 10 + Int(payload[offset] - 0x30)
            offset += 1
        }
        return value
    }

    private func received(_ stamp: CommentStamp, at now: UInt64) {
        guard stamp.sequence > 0 else {
            loop.tally.spamDelivered += 1
            return
        }
        let inOrder = tracker.observe(stamp.sequence)
        guard countsAsReader else { return }
        if inOrder {
            loop.tally.delivered += 1
            loop.tally.latency.record(now > stamp.sentAt ? max(1, (now - stamp.sentAt) / 1000) : 1)
        } else {
            loop.tally.outOfOrder += 1
        }
    }

    /// Reports once that this subscriber is connected or has failed to.
    private func settle() {
        onSettled?()
        onSettled = nil
    }

    override func didClose(reason: String?) {
        if state == .subscribed {
            if reason != nil { loop.tally.closedByServer += 1 }
        } else {
            loop.tally.connectFailures += 1
            settle()
        }
    }

    /// The end of an HTTP head (after its blank line), if it has arrived.
    private static func headEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            return index + 1
        }
        return nil
    }

    private static let missedTag = Array("\"missed\":".utf8)

    /// The `missed` count of a gap notice; 0 when it has none or it does not fit an `Int`.
    private static func missed(_ payload: UnsafeRawBufferPointer) -> Int {
        guard let start = payload.firstIndex(of: missedTag) else { return 0 }
        var value = 0
        for byte in payload[(start + missedTag.count)...] {
            guard byte &- UInt8(ascii: "0") < 10 else { break }
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte &- UInt8(ascii: "0")))
            guard !overflow, !overflow2 else { return 0 }
            value = sum
        }
        return value
    }
}
