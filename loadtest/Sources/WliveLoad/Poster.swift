import Foundation

/// Posts comments at the scenario's rate from one loop, over keep-alive HTTP connections,
/// stamping each with its send time and its channel's next sequence number.
final class Poster: @unchecked Sendable {
    // @unchecked: made on the caller's thread, then used only on the posting loop's thread.
    private let plan: RunPlan
    /// Where the likes and deletions go, and the generic target's channel URLs come from.
    private let endpoint: Endpoint
    /// Publishing connection i posts to node i mod count (`http_url` may list several).
    private let endpoints: [Endpoint]
    private var publishers: [PublisherClient] = []
    /// With `delete_share`: the room owners' own connection for deletions, as a moderator's
    /// would be, so a deletion never queues behind the comment pipeline.
    private var moderator: PublisherClient?
    private var deletions: DeletionQueue?
    /// With `like_rate`: the likes' own connection, and its common fields.
    private var likers: PublisherClient?
    private var likerFields = ""
    private var generator: SplitMix64
    private let distribution: ZipfDistribution
    private var nextSequence: [UInt64]
    /// Posts per channel so far, spam included: picks the posting user in rotation.
    private var postsInChannel: [UInt64]
    private let credentials: ClientRequests.Credentials
    /// Generic target: each channel's publish endpoint, worked out once.
    private let channelEndpoints: [Endpoint]
    /// Wlive target: each posting user's common fields (a minted token included), made once.
    private var commonFields: [UInt64: String] = [:]
    /// The channel drawn for the next post, kept while its connection is full.
    private var pendingChannel: Int?
    private var go: UInt64 = 0
    private var end: UInt64 = 0
    private var isFinished = false

    init(plan: RunPlan) throws(ScenarioError) {
        self.plan = plan
        let scenario = plan.scenario
        endpoints = try scenario.publishEndpoints()
        endpoint = endpoints[0]
        generator = SplitMix64(seed: scenario.seed)
        distribution = ZipfDistribution(
            count: plan.channels.count, exponent: scenario.distribution == "zipf" ? scenario.zipfExponent : 0)
        nextSequence = Array(repeating: 0, count: plan.channels.count)
        postsInChannel = Array(repeating: 0, count: plan.channels.count)
        credentials = scenario.credentials
        channelEndpoints = scenario.target == .generic ? plan.channels.map(endpoint.replacing(channel:)) : []
    }

    /// Opens the publishing connections on `loop`.
    func connect(on loop: LoadLoop, sources: [String]) {
        for index in 0..<plan.scenario.publishers {
            let publisher = PublisherClient(
                loop: loop, endpoint: endpoints[index % endpoints.count], wliveAnswers: plan.scenario.target == .wlive)
            publisher.start(source: sources[index % sources.count])
            publishers.append(publisher)
        }
        if plan.scenario.likeRate > 0 {
            let likers = PublisherClient(loop: loop, endpoint: endpoint, wliveAnswers: true)
            likers.start(source: sources[0])
            self.likers = likers
            likerFields = ClientRequests.commonFields(user: "fan", credentials: credentials)
        }
        guard plan.scenario.deleteShare > 0 else { return }
        let moderator = PublisherClient(loop: loop, endpoint: endpoint, wliveAnswers: true)
        moderator.start(source: sources[0])
        let queue = DeletionQueue(connection: moderator)
        for publisher in publishers { publisher.deletions = queue }
        self.moderator = moderator
        deletions = queue
    }

    /// Publishing connections ready (the moderator's counted in with the first).
    var readyPublishers: Int {
        moderator?.isReady == false || likers?.isReady == false ? 0 : publishers.filter(\.isReady).count
    }

    /// Posting runs from `go` for the scenario's duration.
    func schedule(go: UInt64) {
        self.go = go
        end = go + UInt64(plan.scenario.duration * 1e9)
    }

    /// Posts what is due by now; called every millisecond on the loop.
    func pace(_ loop: LoadLoop) {
        deletions?.sendDue(loop)
        guard go > 0, !isFinished else { return }
        let now = monotonicNanoseconds()
        guard now >= go else { return }
        if now >= end {
            isFinished = true
            loop.tally.postingEnd = now
            return
        }
        if loop.tally.postingStart == 0 { loop.tally.postingStart = now }
        if let likers { like(through: likers, now: now, loop) }
        let due = Int(Double(now - go) / 1e9 * plan.scenario.postRate) + 1
        while loop.tally.posted < due {
            if pendingChannel == nil { pendingChannel = distribution.sample(&generator) }
            let channel = pendingChannel!
            // A channel always posts through the same connection: its comments then reach the
            // server in sequence order (one connection's requests are handled in order), so
            // the receivers' order check measures the server, not racing connections.
            let publisher = publishers[channel % publishers.count]
            guard publisher.isReady, publisher.inFlight < plan.scenario.pipeline else { break }
            pendingChannel = nil
            post(channel, through: publisher, loop)
        }
    }

    /// Sends the likes due by now, one channel after another.
    private func like(through likers: PublisherClient, now: UInt64, _ loop: LoadLoop) {
        let due = Int(Double(now - go) / 1e9 * plan.scenario.likeRate) + 1
        while loop.tally.likesSent < due, likers.isReady, likers.inFlight < plan.scenario.pipeline * 8 {
            let channel = loop.tally.likesSent % plan.channels.count
            loop.tally.likesSent += 1
            likers.send(
                ClientRequests.sendLike(endpoint, channel: plan.channels[channel], common: likerFields),
                .init(channelIndex: channel, isSpam: false, isLike: true))
        }
    }

    private func post(_ channel: Int, through publisher: PublisherClient, _ loop: LoadLoop) {
        let scenario = plan.scenario
        let isSpam = scenario.spamShare > 0 && Double.random(in: 0..<1, using: &generator) < scenario.spamShare
        var sequence: UInt64 = 0
        if !isSpam {
            nextSequence[channel] += 1
            sequence = nextSequence[channel]
        }
        let stamp = CommentStamp(sentAt: monotonicNanoseconds(), sequence: sequence)
        let request: [UInt8]
        var deleteAfterwards: (channel: String, common: String)?
        switch scenario.target {
        case .wlive:
            // Users take turns per channel, so none posts more often than rate / users: the
            // per-user limit (5 in 10 s by default) holds while users ≥ 2 s × the channel's rate.
            let user = postsInChannel[channel] % UInt64(scenario.users)
            let common: String
            if let cached = commonFields[user] {
                common = cached
            } else {
                common = ClientRequests.commonFields(user: "u\(user)", credentials: credentials)
                commonFields[user] = common
            }
            let content =
                isSpam
                ? CommentText.spam[Int(generator.next() % UInt64(CommentText.spam.count))]
                : CommentText.ordinary(sequence: sequence, size: scenario.commentSize)
            request = ClientRequests.sendComment(
                publisher.endpoint, channel: plan.channels[channel], common: common, content: content, stamp: stamp)
            if !isSpam, scenario.deleteShare > 0, Double.random(in: 0..<1, using: &generator) < scenario.deleteShare {
                // Deleted by the room's owner: the anchor that ChannelSetup started it as.
                deleteAfterwards = (
                    plan.channels[channel], ClientRequests.commonFields(user: "anchor\(channel)", credentials: credentials)
                )
            }
        case .generic:
            request = ClientRequests.genericPublish(channelEndpoints[channel], stamp: stamp, size: scenario.commentSize)
        }
        postsInChannel[channel] += 1
        loop.tally.posted += 1
        if isSpam { loop.tally.spamPosted += 1 }
        loop.progress.posted.add(1, ordering: .relaxed)
        publisher.send(request, .init(channelIndex: channel, isSpam: isSpam, deleteAfterwards: deleteAfterwards))
    }
}
