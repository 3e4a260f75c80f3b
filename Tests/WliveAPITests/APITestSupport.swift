import Foundation
import Testing
import WliveCodec
import WliveProtocol
import WliveSpam
import WliveStore

@testable import WliveAPI

/// Records what the API asks of the push tier.
final class RecordingFanOut: LiveFanOut {
    var opened: [ChannelID] = []
    var closed: [(ChannelID, String)] = []
    var published: [WliveProtocol.Comment] = []
    var announced: [(ChannelID, Int, Int)] = []
    var refusePublishing = false
    private var seqs: [ChannelID: UInt64] = [:]

    private var epochs: [ChannelID: UInt64] = [:]
    /// The harness's clock, for the comments' time.
    var clock: ManualClock?
    func openChannel(_ channel: ChannelInfo) {
        opened.append(channel.id)
        epochs[channel.id] = channel.epoch
    }
    var retracted: [(ChannelID, String, UInt64)] = []
    var purged: [(ChannelID, String, Int64)] = []
    var moderation: [(ChannelID, RoomModes?, WliveProtocol.Comment??)] = []
    func retract(_ id: ChannelID, comments: [(id: String, seq: UInt64)], reason: String) {
        retracted += comments.map { (id, $0.id, $0.seq) }
    }
    func purge(_ id: ChannelID, userID: String, source: Int, since: Int64) { purged.append((id, userID, since)) }
    func changeModeration(_ id: ChannelID, modes: RoomModes?, pinned: WliveProtocol.Comment??) {
        moderation.append((id, modes, pinned))
    }
    var states: [(ChannelID, ChannelState, String)] = []
    var likes: [(ChannelID, Int64, Int64)] = []
    func closeChannel(_ id: ChannelID, as state: ChannelState, reason: String) {
        closed.append((id, reason))
        states.append((id, state, reason))
    }
    func changeState(_ id: ChannelID, to state: ChannelState, reason: String) { states.append((id, state, reason)) }
    func announceLikes(channel: ChannelID, total: Int64, delta: Int64) { likes.append((channel, total, delta)) }
    func prepare(
        channel: ChannelID, userID: String, source: Int, biz: String, content: String, extJSON: String, commentType: String
    ) -> Result<WliveProtocol.Comment, WliveResultCode> {
        guard !refusePublishing else { return .failure(.channelClosed) }
        let seq = (seqs[channel] ?? 0) + 1
        seqs[channel] = seq
        return .success(
            WliveProtocol.Comment(
                id: "\(channel)-\(epochs[channel] ?? 0)-\(seq)", seq: seq, channelID: channel, userID: userID, source: source,
                biz: biz,
                extJSON: extJSON, content: content, commentType: commentType, time: clock?.milliseconds ?? 1))
    }
    func deliver(_ comment: WliveProtocol.Comment) { published.append(comment) }
    func withdraw(_ comment: WliveProtocol.Comment) { seqs[comment.channelID] = comment.seq - 1 }
    func announceWatchers(channel: ChannelID, online: Int, total: Int) { announced.append((channel, online, total)) }
    /// Holds nothing: polls read history, as after a restart.
    func pollRead(_ id: ChannelID, cursor: UInt64?, since: UInt64, limit: Int) -> PollRead { .notHeld }
}

/// A clock the tests move by hand.
final class ManualClock: @unchecked Sendable {
    var milliseconds: Int64 = 1_795_770_812_000
    func advance(seconds: Double) { milliseconds += Int64(seconds * 1000) }
}

/// An API over an in-memory store, a recording fan-out and a manual clock.
struct APIHarness {
    let api: LiveAPI
    let fanOut = RecordingFanOut()
    let clock = ManualClock()
    static let secret = "test-secret"

    init(
        _ configure: (inout APISettings) -> Void = { _ in }, spam: SpamSettings = SpamSettings(),
        store: any LiveStore = InMemoryLiveStore(), history: MemoryHistoryStore = MemoryHistoryStore()
    ) {
        var settings = APISettings()
        settings.authSecrets = [Self.secret]
        configure(&settings)
        let clock = self.clock
        fanOut.clock = clock
        api = LiveAPI(
            settings: settings, store: store, journal: InlineJournal(store: history), fanOut: fanOut,
            spam: SpamFilter(settings: spam, dictionary: BannedWordDictionary(words: ["fuck", "傻逼", "代开发票"])),
            wallClock: { clock.milliseconds }, monotonicClock: { Double(clock.milliseconds) / 1000 })
    }

    /// The seed's common form fields (seed 000, the startLive example), test=1.
    static let common: [String: String] = [
        "appid": "101", "source": "2", "biz": "wchat", "userid": "123", "sdk_version": "1.0", "os_type": "devtools",
        "os_version": "iOS 10.0.1", "client_type": "WeChat", "client_version": "6.6.3", "authtoken": "", "version": "1",
        "test": "1",
    ]

    static func formBody(_ fields: [String: String]) -> [UInt8] {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return Array(
            fields.sorted { $0.key < $1.key }.map { key, value in
                "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
            }.joined(separator: "&").utf8)
    }

    /// POSTs a form to `/live/<call>` and returns the decoded envelope.
    func call(_ name: String, _ fields: [String: String], overriding common: [String: String?] = [:]) throws -> [String: Any] {
        var all = Self.common
        for (key, value) in common { all[key] = value }
        for (key, value) in fields { all[key] = value }
        let request = HTTPRequest(
            method: "POST", target: "/live/\(name)",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Self.formBody(all))
        return try Self.decode(api.respond(to: request))
    }

    static func decode(_ response: HTTPResponse) throws -> [String: Any] {
        #expect(response.status == 200)
        #expect(response.headers.contains { $0.name == "Content-Type" && $0.value == "application/json; charset=utf-8" })
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    /// Starts a channel as user 123 and returns its id.
    func startChannel(owner: String = "123") throws -> String {
        let reply = try call(
            "startLive",
            ["channel_title": "测试标题", "channel_describe": "测试描述", "cover_url": "https://www.baidu.com", "ext_json": ""],
            overriding: ["userid": owner])
        let channel = try #require(reply["channel"] as? [String: Any])
        return try #require(channel["channel_id"] as? String)
    }

    func comment(_ channel: String, _ content: String, user: String = "123") throws -> [String: Any] {
        let json = String(
            decoding: try JSONSerialization.data(withJSONObject: ["channel_id": channel, "content": content]), as: UTF8.self)
        return try call("sendComment", ["comment": json], overriding: ["userid": user])
    }
}

func code(_ reply: [String: Any]) -> Int? { reply["code"] as? Int }
