import Foundation
import WliveProtocol
import WliveStore

/// One message on the bus: `<origin node>|C|<seq>|<comment JSON>` for a comment (written by the
/// append script, which alone knows the seq), `<origin node>|E|<event JSON>` for an event.
public enum BusMessage: Sendable, Equatable {
    case comment(origin: String, Comment)
    case event(origin: String, ClusterEvent)

    public static func encode(_ event: ClusterEvent, origin: String) -> [UInt8] {
        // Encoding a value of these plain types cannot fail.
        Array("\(origin)|E|".utf8) + (try! JSONEncoder().encode(event))
    }

    public static func decode(_ bytes: [UInt8]) -> BusMessage? {
        guard let first = bytes.firstIndex(of: UInt8(ascii: "|")), bytes.count > first + 2,
            bytes[first + 2] == UInt8(ascii: "|")
        else { return nil }
        let origin = String(decoding: bytes[..<first], as: UTF8.self)
        let rest = bytes[(first + 3)...]
        switch bytes[first + 1] {
        case UInt8(ascii: "E"):
            guard let event = try? JSONDecoder().decode(ClusterEvent.self, from: Data(rest)) else { return nil }
            return .event(origin: origin, event)
        case UInt8(ascii: "C"):
            guard let bar = rest.firstIndex(of: UInt8(ascii: "|")),
                let seq = UInt64(String(decoding: rest[..<bar], as: UTF8.self)),
                let comment = CommentRecord.comment(seq: seq, json: rest[(bar + 1)...])
            else { return nil }
            return .comment(origin: origin, comment)
        default:
            return nil
        }
    }
}

/// A comment as the cluster keeps it before and after it has a seq: every field but the seq
/// (and the id made from it), as JSON in the bus message and the history stream.
public struct CommentRecord: Sendable, Equatable, Codable {
    public var channel: ChannelID
    public var epoch: UInt64
    public var userID: String
    public var source: Int
    public var biz: String
    public var extJSON: String
    public var content: String
    public var commentType: String
    public var time: Int64

    public init(
        channel: ChannelID, epoch: UInt64, userID: String, source: Int, biz: String, extJSON: String, content: String,
        commentType: String, time: Int64
    ) {
        self.channel = channel
        self.epoch = epoch
        self.userID = userID
        self.source = source
        self.biz = biz
        self.extJSON = extJSON
        self.content = content
        self.commentType = commentType
        self.time = time
    }

    public var json: [UInt8] { Array(try! JSONEncoder().encode(self)) }

    /// The comment numbered `seq`, with the id a single node gives it too.
    public func numbered(_ seq: UInt64) -> Comment {
        Comment(
            id: "\(channel)-\(epoch)-\(seq)", seq: seq, channelID: channel, userID: userID, source: source, biz: biz,
            extJSON: extJSON, content: content, commentType: commentType, time: time)
    }

    public static func comment(seq: UInt64, json: some Collection<UInt8>) -> Comment? {
        (try? JSONDecoder().decode(CommentRecord.self, from: Data(json)))?.numbered(seq)
    }
}
