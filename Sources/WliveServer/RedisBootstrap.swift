import CHiredis
import Foundation
import WliveCluster
import WliveProtocol
import WliveStore

/// What a node reads from Redis as it starts, before any loop runs (blocking, once): every
/// room with its watchers, likes and newest seq, the bans, and a node number for channel ids.
struct RedisBootstrap {
    var rooms: [StoredChannel] = []
    var bans: [UserBan] = []
    /// 0...1023, distinct for the last 1,024 nodes started on this cluster (`channels.node_id`).
    var nodeNumber = 0

    static func load(_ endpoint: RedisEndpoint, keys: ClusterKeys, timeout: Double, now: Int64) throws -> RedisBootstrap {
        let seconds = Int(timeout)
        let wait = timeval(tv_sec: seconds, tv_usec: Int(((timeout - Double(seconds)) * 1e6).rounded()))
        guard let context = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), wait) else {
            throw GatewayError.store("cannot reach Redis at \(endpoint) (cluster.redis_url): out of memory")
        }
        defer { redisFree(context) }
        if context.pointee.err != 0 {
            throw GatewayError.store(
                "cannot reach Redis at \(endpoint) (cluster.redis_url): \(String(cString: &context.pointee.errstr.0))")
        }
        redisSetTimeout(context, wait)
        let session = Session(context: context, endpoint: endpoint)
        if endpoint.database != 0 { _ = try session.run([["SELECT", String(endpoint.database)]]) }
        var loaded = RedisBootstrap()
        loaded.nodeNumber = Int((try session.run([["INCR", keys.nodeNumbers]])[0].integer ?? 0) % 1024)
        guard case .array(let members) = try session.run([["SMEMBERS", keys.rooms]])[0] else { return loaded }
        let ids = members.compactMap { member -> ChannelID? in
            guard case .string(let bytes) = member else { return nil }
            return ChannelID(String(decoding: bytes, as: UTF8.self))
        }
        for chunk in stride(from: 0, to: ids.count, by: 256).map({ ids[$0..<min($0 + 256, ids.count)] }) {
            let replies = try session.run(chunk.flatMap { roomCommands($0, keys: keys) })
            for index in chunk.indices.map({ $0 - chunk.startIndex }) {
                if let room = storedChannel(replies[(index * 4)..<(index * 4 + 4)]) { loaded.rooms.append(room) }
            }
        }
        let decoder = JSONDecoder()
        if case .array(let flat) = try session.run([["HGETALL", keys.bans]])[0] {
            for pair in stride(from: 1, to: flat.count, by: 2) {
                guard case .string(let value) = flat[pair], let ban = try? decoder.decode(UserBan.self, from: Data(value)),
                    ban.until > now
                else { continue }
                loaded.bans.append(ban)
            }
        }
        return loaded
    }

    /// The reads of one room's keys, whose four replies `storedChannel` takes.
    static func roomCommands(_ id: ChannelID, keys: ClusterKeys) -> [[String]] {
        [["GET", keys.info(id)], ["GET", keys.seq(id)], ["GET", keys.likes(id)], ["HGETALL", keys.watchers(id)]]
    }

    /// A room from the replies to `roomCommands`; nil when its record is missing or unreadable.
    static func storedChannel(_ replies: ArraySlice<RedisReply>) -> StoredChannel? {
        let replies = Array(replies)
        let decoder = JSONDecoder()
        guard replies.count == 4, case .string(let json) = replies[0],
            var info = try? decoder.decode(ChannelInfo.self, from: Data(json))
        else { return nil }
        info.totalLikes = replies[2].integer ?? info.totalLikes
        var watchers: [StoredWatcher] = []
        if case .array(let flat) = replies[3] {
            for pair in stride(from: 1, to: flat.count, by: 2) {
                guard case .string(let value) = flat[pair], let online = value.first,
                    let watcher = try? decoder.decode(Watcher.self, from: Data(value.dropFirst()))
                else { continue }
                watchers.append(StoredWatcher(watcher, online: online == UInt8(ascii: "1")))
            }
        }
        info.onlineCount = watchers.filter(\.online).count
        info.totalCount = watchers.count
        return StoredChannel(info: info, lastSeq: UInt64(max(0, replies[1].integer ?? 0)), watchers: watchers)
    }

    /// Pipelined commands on a blocking context.
    private struct Session {
        let context: UnsafeMutablePointer<redisContext>
        let endpoint: RedisEndpoint

        func run(_ commands: [[String]]) throws -> [RedisReply] {
            for command in commands {
                let lengths = command.map { $0.utf8.count }
                var duplicates = command.map { strdup($0) }
                defer { for pointer in duplicates { free(pointer) } }
                let status = duplicates.withUnsafeMutableBufferPointer { argv in
                    lengths.withUnsafeBufferPointer { argvlen in
                        argv.withMemoryRebound(to: UnsafePointer<CChar>?.self) { constArgv in
                            redisAppendCommandArgv(context, Int32(command.count), constArgv.baseAddress, argvlen.baseAddress)
                        }
                    }
                }
                guard status == REDIS_OK else { throw failure() }
            }
            var replies: [RedisReply] = []
            for _ in commands {
                var raw: UnsafeMutableRawPointer?
                guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw failure() }
                let reply = RedisReply(raw.assumingMemoryBound(to: redisReply.self))
                freeReplyObject(raw)
                if case .error(let message) = reply {
                    throw GatewayError.store("Redis at \(endpoint) (cluster.redis_url) refused a start-up read: \(message)")
                }
                replies.append(reply)
            }
            return replies
        }

        private func failure() -> GatewayError {
            .store("cannot read from Redis at \(endpoint) (cluster.redis_url): \(String(cString: &context.pointee.errstr.0))")
        }
    }
}
