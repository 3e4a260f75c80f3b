import CHiredis
import CLibUV
import CRedisUV
import WliveCluster

/// What Redis answered.
enum RedisReply: Sendable, Equatable {
    case integer(Int64)
    case string([UInt8])
    case status(String)
    case error(String)
    case array([RedisReply])
    case null

    init(_ reply: UnsafeMutablePointer<redisReply>) {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_INTEGER: self = .integer(Int64(value.integer))
        case REDIS_REPLY_STRING:
            self = .string(Array(UnsafeRawBufferPointer(start: value.str, count: Int(value.len))))
        case REDIS_REPLY_STATUS: self = .status(String(cString: value.str))
        case REDIS_REPLY_ERROR: self = .error(String(cString: value.str))
        case REDIS_REPLY_ARRAY:
            self = .array((0..<Int(value.elements)).map { RedisReply(value.element[$0]!) })
        default: self = .null
        }
    }

    var isError: Bool {
        if case .error = self { return true }
        return false
    }

    var integer: Int64? {
        if case .integer(let value) = self { return value }
        if case .string(let bytes) = self { return Int64(String(decoding: bytes, as: UTF8.self)) }
        return nil
    }
}

/// One hiredis asynchronous connection driven by a loop (the ingest loop), made again after it
/// drops. hiredis keeps the commands' order; a command's callback runs once, on the loop, with
/// the reply, or with nil when the link dropped first. A command unanswered for
/// `cluster.command_timeout` drops the link, so that a stopped Redis answers every waiting call
/// with 100 instead of leaving it hanging.
final class RedisConnection {
    private let loop: UnsafeMutablePointer<uv_loop_t>
    let endpoint: RedisEndpoint
    private let timeout: Double
    private let reconnectInterval: Double
    private var context: UnsafeMutablePointer<redisAsyncContext>?
    private(set) var isConnected = false
    private var connectingSince = 0.0
    private var nextAttempt = 0.0
    /// When each command in flight was sent (monotonic seconds), oldest first.
    private var sentAt: [Double] = []
    private var sentHead = 0
    /// Runs once the link is up (to load scripts, subscribe), and after it dropped.
    var onConnect: (() -> Void)?
    var onDisconnect: (() -> Void)?
    /// Messages of the channel subscribed to, on a subscriber connection.
    private var messageHandler: CallbackBox?
    private var isClosed = false

    init(loop: UnsafeMutablePointer<uv_loop_t>, endpoint: RedisEndpoint, timeout: Double, reconnectInterval: Double) {
        self.loop = loop
        self.endpoint = endpoint
        self.timeout = timeout
        self.reconnectInterval = reconnectInterval
    }

    /// Commands sent and not answered yet.
    var pendingCount: Int { sentAt.count - sentHead }

    /// Makes the link when it is down and its next attempt is due; drops it when a command (or
    /// the connect) waited too long. The loop calls it every tick.
    func tick(now: Double) {
        guard !isClosed else { return }
        if let context {
            let waiting = isConnected ? (sentHead < sentAt.count ? sentAt[sentHead] : now) : connectingSince
            if now - waiting >= timeout { drop(context) }
            return
        }
        guard now >= nextAttempt else { return }
        connect(now: now)
    }

    private func connect(now: Double) {
        nextAttempt = now + reconnectInterval
        guard let made = redisAsyncConnect(endpoint.host, Int32(endpoint.port)) else { return }
        if made.pointee.err != 0 || wlive_redis_attach(made, loop) != 0 {
            redisAsyncFree(made)
            return
        }
        made.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        redisAsyncSetConnectCallback(made) { context, status in
            RedisConnection.owner(of: context)?.connected(status == REDIS_OK)
        }
        redisAsyncSetDisconnectCallback(made) { context, _ in
            RedisConnection.owner(of: context)?.lost()
        }
        context = made
        connectingSince = now
        if endpoint.database != 0 { send(["SELECT", String(endpoint.database)]) { _ in } }
    }

    private static func owner(of context: UnsafePointer<redisAsyncContext>?) -> RedisConnection? {
        guard let data = context?.pointee.data else { return nil }
        return Unmanaged<RedisConnection>.fromOpaque(data).takeUnretainedValue()
    }

    private func connected(_ succeeded: Bool) {
        guard succeeded else {
            // hiredis frees the context once this returns.
            reset()
            return
        }
        isConnected = true
        onConnect?()
    }

    /// The link dropped: hiredis has answered every command with nil and frees the context.
    private func lost() {
        let wasConnected = isConnected
        reset()
        if wasConnected { onDisconnect?() }
    }

    private func reset() {
        context?.pointee.data = nil
        context = nil
        isConnected = false
        sentAt.removeAll(keepingCapacity: true)
        sentHead = 0
    }

    /// Frees the context now: hiredis answers what waits with nil (and reports the drop if the
    /// link was up). Only outside a hiredis callback.
    private func drop(_ made: UnsafeMutablePointer<redisAsyncContext>) {
        let wasConnected = isConnected
        made.pointee.data = nil
        reset()
        redisAsyncFree(made)
        if wasConnected { onDisconnect?() }
    }

    /// Sends a command; `reply` runs once, with nil if the link is down or drops first. False
    /// (and `reply` not run) when the link is down now.
    @discardableResult
    func send(_ arguments: [String], reply: @escaping (RedisReply?) -> Void) -> Bool {
        send(arguments.map { Array($0.utf8) }, reply: reply)
    }

    @discardableResult
    func send(_ arguments: [[UInt8]], reply: @escaping (RedisReply?) -> Void) -> Bool {
        guard let context else { return false }
        let box = CallbackBox { [weak self] raw in
            self?.answered()
            reply(raw.map { RedisReply($0.assumingMemoryBound(to: redisReply.self)) })
        }
        let sent = issue(context, arguments, privdata: Unmanaged.passRetained(box).toOpaque()) { _, raw, privdata in
            Unmanaged<CallbackBox>.fromOpaque(privdata!).takeRetainedValue().body(raw)
        }
        guard sent else {
            Unmanaged.passUnretained(box).release()
            return false
        }
        sentAt.append(monotonicSeconds())
        return true
    }

    /// Subscribes to `channel` (on a connection used for nothing else); `message` gets each
    /// message's payload, `subscribed` runs when Redis confirmed it.
    func subscribe(_ channel: String, subscribed: @escaping () -> Void, message: @escaping ([UInt8]) -> Void) {
        guard let context else { return }
        let box = CallbackBox { raw in
            guard let raw, case .array(let parts) = RedisReply(raw.assumingMemoryBound(to: redisReply.self)),
                parts.count == 3, case .string(let kind) = parts[0]
            else { return }
            if kind == Array("message".utf8), case .string(let payload) = parts[2] { message(payload) }
            if kind == Array("subscribe".utf8) { subscribed() }
        }
        // hiredis calls a subscription's callback for every message: the box lives as long as this.
        messageHandler = box
        _ = issue(context, [Array("SUBSCRIBE".utf8), Array(channel.utf8)], privdata: Unmanaged.passUnretained(box).toOpaque()) {
            _, raw, privdata in
            Unmanaged<CallbackBox>.fromOpaque(privdata!).takeUnretainedValue().body(raw)
        }
    }

    private func answered() {
        if sentHead < sentAt.count { sentHead += 1 }
        if sentHead == sentAt.count {
            sentAt.removeAll(keepingCapacity: true)
            sentHead = 0
        }
    }

    private func issue(
        _ context: UnsafeMutablePointer<redisAsyncContext>, _ arguments: [[UInt8]], privdata: UnsafeMutableRawPointer,
        callback:
            @escaping @convention(c) (
                UnsafeMutablePointer<redisAsyncContext>?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?
            ) -> Void
    ) -> Bool {
        let lengths = arguments.map(\.count)
        var pointers: [UnsafePointer<CChar>?] = []
        pointers.reserveCapacity(arguments.count)
        // hiredis copies the arguments into its output buffer before it returns.
        let buffers = arguments.map { bytes -> UnsafeMutablePointer<CChar> in
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
            bytes.withUnsafeBufferPointer { source in
                if let base = source.baseAddress {
                    UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: bytes.count)
                }
            }
            return buffer
        }
        defer { for buffer in buffers { buffer.deallocate() } }
        for buffer in buffers { pointers.append(UnsafePointer(buffer)) }
        return pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeBufferPointer { argvlen in
                redisAsyncCommandArgv(
                    context, callback, privdata, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress) == REDIS_OK
            }
        }
    }

    /// Closes the link for good (shutdown): what waits is answered with nil.
    func close() {
        isClosed = true
        if let context { drop(context) }
    }
}

/// A Swift closure handed to hiredis as a command's private data.
private final class CallbackBox {
    let body: (UnsafeMutableRawPointer?) -> Void
    init(_ body: @escaping (UnsafeMutableRawPointer?) -> Void) { self.body = body }
}
