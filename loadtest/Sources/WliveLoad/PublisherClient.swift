/// A keep-alive HTTP connection posting comments, up to `pipeline` requests in flight, answered
/// in order: each answer is matched with the oldest post still waiting.
final class PublisherClient: TCPClient {
    struct Post {
        var channelIndex: Int
        var isSpam: Bool
        /// Delete this comment once it is accepted: its channel id and the poster's common fields.
        var deleteAfterwards: (channel: String, common: String)?
        /// This request is itself a deletion.
        var isDeletion = false
    }

    let endpoint: Endpoint
    let wliveAnswers: Bool
    private let parser = HTTPResponseParser()
    private var waiting: [Post] = []
    private var waitingHead = 0
    private(set) var isReady = false

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
        if post.isDeletion {
            if answer.status == 200, answer.envelopeCode == 0 { loop.tally.deletionsAccepted += 1 }
            return
        }
        if let target = post.deleteAfterwards, answer.status == 200, answer.envelopeCode == 0,
            let commentID = Self.commentID(answer.body)
        {
            loop.tally.deletionsSent += 1
            send(
                ClientRequests.deleteComment(
                    endpoint, channel: target.channel, common: target.common, commentID: commentID,
                    stamp: DeletionStamp(sentAt: monotonicNanoseconds())),
                Post(channelIndex: post.channelIndex, isSpam: false, isDeletion: true))
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
