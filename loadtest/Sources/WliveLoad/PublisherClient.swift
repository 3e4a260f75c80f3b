/// A keep-alive HTTP connection posting comments, up to `pipeline` requests in flight, answered
/// in order: each answer is matched with the oldest post still waiting.
final class PublisherClient: TCPClient {
    struct Post {
        var channelIndex: Int
        var isSpam: Bool
        /// Delete this comment once it is accepted: its channel id and the poster's common fields.
        var deleteAfterwards: (channel: String, common: String)?
        /// This request is itself a deletion, or a like.
        var isDeletion = false
        var isLike = false
    }

    let endpoint: Endpoint
    let wliveAnswers: Bool
    private let parser = HTTPResponseParser()
    private var waiting: [Post] = []
    private var waitingHead = 0
    private(set) var isReady = false
    /// Where deletions of this connection's comments wait to be sent (`delete_share`).
    var deletions: DeletionQueue?

    var inFlight: Int { waiting.count - waitingHead }

    init(loop: LoadLoop, endpoint: Endpoint, wliveAnswers: Bool) {
        self.endpoint = endpoint
        self.wliveAnswers = wliveAnswers
        super.init(loop: loop)
    }

    func start(source: String?) { connect(host: endpoint.host, port: endpoint.port, source: source) }

    override func didConnect() { isReady = true }

    func send(_ request: [UInt8], _ post: Post) {
        waiting.append(post)
        loop.progress.postsInFlight.add(1, ordering: .relaxed)
        write(request)
    }

    override func didRead(_ bytes: UnsafeRawBufferPointer) -> Int {
        for answer in parser.parse(bytes) where waitingHead < waiting.count {
            let post = waiting[waitingHead]
            waitingHead += 1
            settle(post, answer)
        }
        if waitingHead > 1024, waitingHead * 2 > waiting.count {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
        if let error = parser.error { fail("bad HTTP answer: \(error)") }
        return bytes.count
    }

    private func settle(_ post: Post, _ answer: HTTPAnswer) {
        loop.progress.postsInFlight.subtract(1, ordering: .relaxed)
        if post.isDeletion || post.isLike {
            let accepted = answer.status == 200 && answer.envelopeCode == 0
            if accepted, post.isLike { loop.tally.likesAccepted += 1 }
            if accepted, post.isDeletion { loop.tally.deletionsAccepted += 1 }
            if !accepted {
                loop.tally.answerCodes[
                    "\(post.isLike ? "like" : "deletion") answered \(answer.envelopeCode ?? answer.status)", default: 0] +=
                    1
            }
            return
        }
        if let target = post.deleteAfterwards, let deletions, answer.status == 200, answer.envelopeCode == 0,
            let commentID = Self.commentID(answer.body)
        {
            deletions.add(channel: target.channel, common: target.common, commentID: commentID, index: post.channelIndex)
        }
        let code: Int?
        if wliveAnswers {
            code = answer.status == 200 ? answer.envelopeCode : nil
        } else {
            code = (200..<300).contains(answer.status) ? 0 : nil
        }
        switch code {
        case 0:
            loop.tally.accepted += 1
            loop.tally.acceptedPerChannel[post.channelIndex] += 1
        case 303:
            loop.tally.refused += 1
            if post.isSpam { loop.tally.spamRefused += 1 }
        default:
            loop.tally.failed += 1
            loop.tally.answerCodes[code.map { "code \($0)" } ?? "HTTP \(answer.status)", default: 0] += 1
        }
    }

    private static let commentIDKey = Array("\"comment_id\":\"".utf8)

    /// The `comment_id` of a sendComment answer.
    static func commentID(_ body: [UInt8]) -> String? {
        body.withUnsafeBytes { bytes in
            guard let start = bytes.firstIndex(of: commentIDKey) else { return nil }
            let from = start + commentIDKey.count
            guard let end = bytes[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            return String(decoding: bytes[from..<end], as: UTF8.self)
        }
    }

    override func didClose(reason: String?) {
        isReady = false
        let unanswered = inFlight
        if unanswered > 0 {
            loop.progress.postsInFlight.subtract(unanswered, ordering: .relaxed)
            loop.tally.failed += unanswered
            loop.tally.answerCodes["unanswered", default: 0] += unanswered
            waitingHead = waiting.count
        }
    }
}

/// Deletions waiting for their time: a moderator deletes a comment a moment after seeing it,
/// not in the instant its fan-out is still arriving (which would time the load generator's own
/// busiest moment, not the server). Sent through the moderator's own connection.
final class DeletionQueue {
    private struct Pending {
        var due: UInt64
        var channel: String
        var common: String
        var commentID: String
        var index: Int
    }

    private let connection: PublisherClient
    private var pending: [Pending] = []
    private var head = 0
    private var generator = SplitMix64(seed: 0xde1e7e)

    init(connection: PublisherClient) { self.connection = connection }

    func add(channel: String, common: String, commentID: String, index: Int) {
        // 100–300 ms after the answer; pending stays in due order within that window's slack.
        let delay = 100_000_000 + generator.next() % 200_000_000
        pending.append(
            Pending(due: monotonicNanoseconds() + delay, channel: channel, common: common, commentID: commentID, index: index))
    }

    /// Sends every deletion due by now (called each millisecond by the poster).
    func sendDue(_ loop: LoadLoop) {
        let now = monotonicNanoseconds()
        var index = head
        while index < pending.count {
            let deletion = pending[index]
            if deletion.due <= now, connection.isReady {
                loop.tally.deletionsSent += 1
                connection.send(
                    ClientRequests.deleteComment(
                        connection.endpoint, channel: deletion.channel, common: deletion.common, commentID: deletion.commentID,
                        stamp: DeletionStamp(sentAt: monotonicNanoseconds())),
                    .init(channelIndex: deletion.index, isSpam: false, isDeletion: true))
                pending[index].due = .max
            }
            index += 1
        }
        while head < pending.count, pending[head].due == .max { head += 1 }
        if head > 1024, head * 2 > pending.count {
            pending.removeFirst(head)
            head = 0
        }
    }

    /// Deletions still waiting.
    var waiting: Int { pending[head...].filter { $0.due != .max }.count }
}
