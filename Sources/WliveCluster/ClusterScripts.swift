import Crypto

/// A Lua script and its SHA-1, which `EVALSHA` names it by once `SCRIPT LOAD` gave it to Redis.
public struct ClusterScript: Sendable {
    public let source: String
    public let sha: String

    init(_ source: String) {
        self.source = source
        sha = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}

/// The Lua the cluster runs in Redis. Each touches the keys of one room (one slot in a Redis
/// Cluster) and is atomic there: Redis runs one script at a time.
public enum ClusterScripts {
    public static let all = [append, read, purge, expire]

    /// Numbers a comment, keeps it in the room's history and publishes it, in one step: O(1)
    /// Redis work per comment, whatever the viewers.
    /// A room whose record Redis no longer holds (a Redis that lost its data) takes nothing:
    /// its seq would start again at 1, below what every node delivered.
    /// KEYS: seq, history, info. ARGV: bus, origin node, comment JSON, history.max_per_channel,
    /// "source:userid", time (Unix ms). Returns the seq, or -1 when the room is unknown.
    public static let append = ClusterScript(
        """
        if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
        local seq = redis.call('INCR', KEYS[1])
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], seq .. '-0', 'j', ARGV[3], 'u', ARGV[5], 't', ARGV[6])
        redis.call('PUBLISH', ARGV[1], ARGV[2] .. '|C|' .. seq .. '|' .. ARGV[3])
        return seq
        """)

    /// A page of history after a seq. KEYS: seq, history, retracted. ARGV: after, limit.
    /// Returns { last seq, oldest retained seq (0: none), { seq, JSON, seq, JSON, ... },
    /// { retracted seqs in the page's range } }.
    public static let read = ClusterScript(
        """
        local last = tonumber(redis.call('GET', KEYS[1]) or '0')
        local after = tonumber(ARGV[1])
        local limit = tonumber(ARGV[2])
        local oldest = 0
        local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
        if #first > 0 then oldest = tonumber(string.match(first[1][1], '^(%d+)')) end
        local entries = redis.call('XRANGE', KEYS[2], tostring(after + 1) .. '-0', '+', 'COUNT', limit)
        local flat = {}
        local through = last
        for i, entry in ipairs(entries) do
            local seq = tonumber(string.match(entry[1], '^(%d+)'))
            flat[#flat + 1] = seq
            flat[#flat + 1] = entry[2][2]
            if i == limit then through = seq end
        end
        local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. after, through)
        return { last, oldest, flat, gone }
        """)

    /// Takes back one user's comments in a room since a time (`banUser`'s `purge_minutes`),
    /// newest first until an older one. KEYS: history, retracted. ARGV: "source:userid", since.
    /// Returns the seqs taken back.
    public static let purge = ClusterScript(
        """
        local since = tonumber(ARGV[2])
        local gone = {}
        local entries = redis.call('XREVRANGE', KEYS[1], '+', '-')
        for _, entry in ipairs(entries) do
            local fields = entry[2]
            local user, time = nil, 0
            for i = 1, #fields, 2 do
                if fields[i] == 'u' then user = fields[i + 1] elseif fields[i] == 't' then time = tonumber(fields[i + 1]) end
            end
            if time < since then break end
            if user == ARGV[1] then
                local seq = tonumber(string.match(entry[1], '^(%d+)'))
                redis.call('XDEL', KEYS[1], entry[1])
                redis.call('ZADD', KEYS[2], seq, seq)
                gone[#gone + 1] = seq
            end
        end
        return gone
        """)

    /// Drops history older than a time (`history.max_age`), oldest first.
    /// KEYS: history. ARGV: cutoff (Unix ms), at most this many. Returns how many went.
    public static let expire = ClusterScript(
        """
        local cutoff = tonumber(ARGV[1])
        local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', tonumber(ARGV[2]))
        local dropped = 0
        for _, entry in ipairs(entries) do
            local fields = entry[2]
            local time = 0
            for i = 1, #fields, 2 do
                if fields[i] == 't' then time = tonumber(fields[i + 1]) end
            end
            if time >= cutoff then break end
            redis.call('XDEL', KEYS[1], entry[1])
            dropped = dropped + 1
        end
        return dropped
        """)
}
