import Foundation

/// Everything one load run does: who connects where, what is posted, and what must hold.
///
/// Scenarios are YAML files in `loadtest/scenarios/`; every key can be overridden from the
/// command line (`--set key=value`, or the named flags). `set(_:_:)` is the one place a key's
/// text becomes a value, for files and flags alike.
public struct Scenario: Codable, Sendable, Equatable {
    /// What is being driven.
    public enum Target: String, Codable, Sendable {
        /// Wlive: the Wlive handshake on the WebSocket, `startLive` and `sendComment` on the HTTP API.
        case wlive
        /// Any push server: subscribe at `sub_url`, publish the stamped body to `pub_url`.
        case generic
    }

    public var name = "custom"
    public var target = Target.wlive
    /// Start an embedded gateway in this process and drive it.
    public var inProcess = false
    /// Event loops of the embedded gateway.
    public var gatewayWorkers = 2
    /// Wlive's WebSocket endpoint and HTTP API base.
    public var wsURL = "ws://127.0.0.1:8080/ws"
    public var httpURL = "http://127.0.0.1:8081/live/"
    /// Generic target: URL templates, `{channel}` replaced by the channel's name.
    public var subURL = ""
    public var pubURL = ""

    public var subscribers = 100
    public var channels = 10
    /// Use these existing channels (comma list) instead of making `channels` new ones.
    public var channelIDs = ""
    /// How posts pick a channel: `uniform` or `zipf` (exponent `zipf_exponent`).
    public var distribution = "uniform"
    public var zipfExponent = 1.0
    /// Posted comments per second, over all channels; 0 posts nothing and just holds the
    /// subscribers for `duration` seconds (idle connections, or another process publishing).
    public var postRate = 100.0
    /// Seconds of posting.
    public var duration = 5.0
    /// Characters of comment text (the stamp comes on top, in `ext_json`).
    public var commentSize = 40
    /// Subscribers offer permessage-deflate (`deflate`), and inflate what comes compressed.
    public var deflate = false
    /// New connections per second, per run; 0 connects as fast as it can.
    public var connectRate = 0.0
    /// Connections being set up at once, per process.
    public var connectConcurrency = 1000
    /// Comments posted to each channel as it is made, before anyone subscribes (for resume runs).
    public var prefill = 0
    /// Subscribers resume: their handshake carries this `since_seq` (-1: a fresh handshake).
    public var resumeSince = -1
    /// The `timer_interval` subscribers ask for, in seconds.
    public var heartbeatInterval = 30
    /// Local addresses connections are spread over: `127.0.0.2-127.0.0.9`, or a comma list.
    public var sourceAddresses = "127.0.0.1"
    /// Processes to fork (the per-process open-file limit caps one process's sockets).
    public var procs = 1
    /// Event loops per process.
    public var loops = 2
    /// Share of subscribers (0…1) that stop reading once subscribed.
    public var slowReaders = 0.0
    /// Share of posts (0…1) carrying banned words, which must be refused with 303.
    public var spamShare = 0.0
    /// Share of accepted comments the poster then deletes (`deleteComment`), each deletion
    /// stamped so subscribers measure how fast it reaches them.
    public var deleteShare = 0.0
    /// Likes a second (`sendLike`, one each) over all channels, on a connection of their own.
    public var likeRate = 0.0
    /// Keep-alive HTTP connections posting, and requests each may have in flight.
    public var publishers = 4
    public var pipeline = 32
    /// Distinct posting users per channel, so the per-user rate limit is not what is measured.
    public var users = 10000
    /// Longest wait for deliveries after the last post, in seconds.
    public var drain = 5.0
    /// Ends the drain early once nothing has arrived for this long, in seconds.
    public var drainQuiet = 1.0
    /// Mint `authtoken`s with this secret; empty sends `test=1` instead.
    public var authSecret = ""
    /// The gateway's process ids (comma list), for its CPU time and peak memory.
    public var gatewayPIDs = ""
    /// Seed of the posting pattern.
    public var seed: UInt64 = 1
    public var expect = Expectations()

    public init() {}

    /// What a run must show; an unmet one makes the exit status non-zero.
    public struct Expectations: Codable, Sendable, Equatable {
        /// Every subscriber connected and subscribed.
        public var allConnected: Bool?
        /// At most this many comments not delivered to subscribers that kept reading.
        public var maxLoss: Int?
        /// No comment seen twice or out of order.
        public var inOrder: Bool?
        /// Every spam probe refused with 303 and none delivered; every other post accepted.
        public var spamRefused: Bool?
        /// End-to-end latency p99 at or under this, in milliseconds.
        public var maxP99Milliseconds: Double?
        /// At least this many delivered comments per second.
        public var minDeliveredPerSecond: Double?

        public init() {}
    }

    /// Every key a scenario file or `--set` may give, in file order.
    public static let keys = [
        "name", "target", "in_process", "gateway_workers", "ws_url", "http_url", "sub_url", "pub_url",
        "subscribers", "channels", "channel_ids", "distribution", "zipf_exponent", "post_rate", "duration", "comment_size",
        "deflate",
        "connect_rate", "connect_concurrency", "heartbeat_interval", "prefill", "resume_since", "source_addresses", "procs",
        "loops",
        "slow_readers", "spam_share", "delete_share", "like_rate", "publishers", "pipeline", "users", "drain", "drain_quiet",
        "auth_secret", "gateway_pids", "seed",
        "expect.all_connected", "expect.max_loss", "expect.in_order", "expect.spam_refused",
        "expect.max_p99_ms", "expect.min_delivered_per_second",
    ]

    /// Sets `key` from its text, checking it.
    public mutating func set(_ key: String, _ text: String) throws(ScenarioError) {
        let value = text.trimmingCharacters(in: .whitespaces)
        func int(_ range: ClosedRange<Int> = 0...Int.max) throws(ScenarioError) -> Int {
            guard let number = Int(value), range.contains(number) else {
                throw ScenarioError(
                    key: key, problem: "expected an integer in \(range.lowerBound)…\(range.upperBound), got \"\(text)\"")
            }
            return number
        }
        func double(_ range: ClosedRange<Double> = 0...Double.greatestFiniteMagnitude) throws(ScenarioError) -> Double {
            guard let number = Double(value), range.contains(number) else {
                throw ScenarioError(
                    key: key, problem: "expected a number in \(range.lowerBound)…\(range.upperBound), got \"\(text)\"")
            }
            return number
        }
        func bool() throws(ScenarioError) -> Bool {
            switch value.lowercased() {
            case "true", "yes", "1", "on": return true
            case "false", "no", "0", "off": return false
            default: throw ScenarioError(key: key, problem: "expected true or false, got \"\(text)\"")
            }
        }
        switch key {
        case "name": name = value
        case "target":
            guard let parsed = Target(rawValue: value) else {
                throw ScenarioError(key: key, problem: "expected wlive or generic, got \"\(text)\"")
            }
            target = parsed
        case "in_process": inProcess = try bool()
        case "gateway_workers": gatewayWorkers = try int(1...64)
        case "ws_url": wsURL = value
        case "http_url": httpURL = value
        case "sub_url": subURL = value
        case "pub_url": pubURL = value
        case "subscribers": subscribers = try int()
        case "channels": channels = try int(1...1_000_000)
        case "channel_ids":
            let ids = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard ids.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) || value.isEmpty else {
                throw ScenarioError(key: key, problem: "expected channel ids separated by commas, got \"\(text)\"")
            }
            channelIDs = ids.joined(separator: ",")
            if !ids.isEmpty { channels = ids.count }
        case "distribution":
            guard ["uniform", "zipf"].contains(value) else {
                throw ScenarioError(key: key, problem: "expected uniform or zipf, got \"\(text)\"")
            }
            distribution = value
        case "zipf_exponent": zipfExponent = try double(0...10)
        case "post_rate": postRate = try double()
        case "duration": duration = try double()
        case "comment_size": commentSize = try int(1...100_000)
        case "deflate": deflate = try bool()
        case "connect_rate": connectRate = try double()
        case "connect_concurrency": connectConcurrency = try int(1...1_000_000)
        case "heartbeat_interval": heartbeatInterval = try int(1...86_400)
        case "prefill": prefill = try int(0...1_000_000)
        case "resume_since": resumeSince = try int(-1...Int.max)
        case "source_addresses":
            _ = try SourceAddresses.parse(value)
            sourceAddresses = value
        case "procs": procs = try int(1...64)
        case "loops": loops = try int(1...64)
        case "slow_readers": slowReaders = try double(0...1)
        case "spam_share": spamShare = try double(0...1)
        case "delete_share": deleteShare = try double(0...1)
        case "like_rate": likeRate = try double()
        case "publishers": publishers = try int(1...1000)
        case "pipeline": pipeline = try int(1...10_000)
        case "users": users = try int(1...100_000_000)
        case "drain": drain = try double()
        case "drain_quiet": drainQuiet = try double()
        case "auth_secret": authSecret = value
        case "gateway_pids", "gateway_pid":
            guard value.split(separator: ",").allSatisfy({ Int32($0.trimmingCharacters(in: .whitespaces)) != nil }) else {
                throw ScenarioError(key: key, problem: "expected process ids separated by commas, got \"\(text)\"")
            }
            gatewayPIDs = value
        case "seed": seed = UInt64(try int())
        case "expect.all_connected": expect.allConnected = try bool()
        case "expect.max_loss": expect.maxLoss = try int()
        case "expect.in_order": expect.inOrder = try bool()
        case "expect.spam_refused": expect.spamRefused = try bool()
        case "expect.max_p99_ms": expect.maxP99Milliseconds = try double()
        case "expect.min_delivered_per_second": expect.minDeliveredPerSecond = try double()
        default: throw ScenarioError(key: key, problem: "unknown key; known keys: \(Self.keys.joined(separator: ", "))")
        }
    }

    /// Checks what single keys cannot: combinations that make no run.
    public func validated() throws(ScenarioError) -> Scenario {
        if target == .generic {
            guard subURL.contains("{channel}"), pubURL.contains("{channel}") else {
                throw ScenarioError(key: "sub_url", problem: "the generic target needs sub_url and pub_url, each with {channel}")
            }
            guard spamShare == 0 else {
                throw ScenarioError(key: "spam_share", problem: "spam probes need the wlive target (303 is Wlive's answer)")
            }
            guard likeRate == 0 else {
                throw ScenarioError(key: "like_rate", problem: "likes need the wlive target (sendLike is Wlive's)")
            }
            guard deleteShare == 0 else {
                throw ScenarioError(key: "delete_share", problem: "deletions need the wlive target (deleteComment is Wlive's)")
            }
        }
        if inProcess, target != .wlive {
            throw ScenarioError(key: "in_process", problem: "only the wlive target runs in process")
        }
        guard commentSize <= 100 || target == .generic else {
            throw ScenarioError(key: "comment_size", problem: "Wlive refuses comments over comment.max_length (100 by default)")
        }
        return self
    }

    /// The process ids in `gateway_pids`.
    public var gatewayProcessIDs: [Int32] {
        gatewayPIDs.split(separator: ",").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }
}

/// A scenario key with a value that makes no run.
public struct ScenarioError: Error, Equatable, CustomStringConvertible {
    public var key: String
    public var problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "scenario: \(key): \(problem)" }
}
