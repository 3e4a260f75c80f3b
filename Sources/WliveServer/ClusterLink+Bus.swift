import WliveCluster
import WliveEngine
import WliveProtocol
import WliveStore

/// What the bus brings, applied in the order Redis published it: comments of every node into
/// this node's rings (through `DeliveryOrder`, which reads holes back from history), and the
/// other nodes' events into its read model and push tier.
extension ClusterLink {
    /// The subscription is up (at start, or again after the link dropped): read whatever was
    /// published while it was not.
    func busUp() {
        isSubscribed = true
        subscribedOnce.signal()
        perform(order.resynchronize())
        reconcile()
    }

    /// Reads the room index again: rooms opened, or moved, while this node was not listening
    /// (before its subscription was up, or while the link was down) are taken as Redis has them.
    private func reconcile() {
        commands.send(["SMEMBERS", keys.rooms]) { [weak self] reply in
            guard let self, case .array(let members) = reply else { return }
            for member in members {
                guard case .string(let bytes) = member, let id = ChannelID(String(decoding: bytes, as: UTF8.self)) else {
                    continue
                }
                let known = try? api.store.channel(id)
                if let known, known.state.isFinal { continue }
                var replies: [RedisReply] = []
                for command in RedisBootstrap.roomCommands(id, keys: keys) {
                    commands.send(command) { [weak self] reply in
                        replies.append(reply ?? .null)
                        guard replies.count == 4, let self, let room = RedisBootstrap.storedChannel(replies[...]) else { return }
                        adopt(room)
                    }
                }
            }
        }
    }

    /// A room as Redis has it, into this node's read model and push tier.
    private func adopt(_ room: StoredChannel) {
        let info = room.info
        let known = try? api.store.channel(info.id)
        if known == nil {
            api.applyReplicated(.channel(info))
            for kept in room.watchers { api.applyReplicated(.watcher(info.id, kept.watcher, online: kept.online)) }
        } else if known?.state != info.state {
            api.applyReplicated(.channel(info))
        } else {
            return
        }
        if info.state.isFinal {
            _ = engine.close(info.id, as: info.state, reason: info.reason)
            order.forget(info.id)
        } else if engine.channels.lookup(info.id) == nil {
            engine.channels.open(
                info.id, epoch: info.epoch, lastSeq: room.lastSeq, state: info.state, moderation: RoomModeration(info))
            order.follow(info.id, deliveredThrough: room.lastSeq)
        } else {
            _ = engine.changeState(info.id, to: info.state, reason: info.reason)
        }
    }

    func received(_ payload: [UInt8]) {
        logger.debug("cluster: bus message", metadata: ["bytes": "\(payload.count)"])
        switch BusMessage.decode(payload) {
        case .comment(let origin, let comment):
            if origin != node { api.observeReplicated(comment) }
            perform(order.arrived(comment))
        case .event(let origin, let event):
            guard origin != node else { return }
            apply(event)
        case nil:
            logger.warning("cluster: a bus message this node cannot read", metadata: ["bytes": "\(payload.count)"])
        }
    }

    func perform(_ actions: [DeliveryOrder.Action]) {
        for action in actions {
            switch action {
            case .deliver(let comment):
                engine.deliver(comment)
                acknowledge(comment.channelID, through: comment.seq)
            case .gap(let id, let from, let to, let reason):
                engine.skip(id, from: from, to: to, reason: reason)
                acknowledge(id, through: to)
            case .fetch(let id, let after):
                journal.comments(of: id, after: after, limit: 500) { [weak self] result in
                    guard let self else { return }
                    switch result {
                    case .success(let page): perform(order.fetched(id, page))
                    case .failure: order.fetchFailed(id)
                    }
                }
            }
        }
    }

    /// This node's comments of a room up to `seq` are in its rings: their callers hear code 0.
    private func acknowledge(_ id: ChannelID, through seq: UInt64) {
        guard let waiting = waitingAcks[id] else { return }
        var rest: [WaitingAck] = []
        for ack in waiting {
            if ack.comment.seq <= seq { ack.completion(.success(ack.comment)) } else { rest.append(ack) }
        }
        waitingAcks[id] = rest.isEmpty ? nil : rest
    }

    /// Another node's event.
    func apply(_ event: ClusterEvent) {
        switch event {
        case .change(let change):
            api.applyReplicated(change)
        case .opened(let info):
            engine.channels.open(info.id, epoch: info.epoch, state: info.state, moderation: RoomModeration(info))
            order.follow(info.id, deliveredThrough: 0)
        case .closed(let id, let state, let reason):
            _ = engine.close(id, as: state, reason: reason)
            order.forget(id)
        case .stateChanged(let id, let state, let reason):
            // Room clocks run on every node: the same move made here already is not told twice.
            guard let record = engine.channels.lookup(id), record.state != state else { return }
            _ = engine.changeState(id, to: state, reason: reason)
        case .retracted(let id, let comments, let reason):
            history.forget(id)
            engine.retract(id, comments: comments.map { ($0.id, $0.seq) }, reason: reason)
        case .purged(let id, let userID, let source, let since):
            history.forget(id)
            engine.purge(id, userID: userID, source: source, since: since)
        case .moderated(let id, let modes, let pin):
            engine.changeModeration(id, modes: modes, pinned: pin.asOptional)
        case .liked(let id, let count):
            api.applyReplicatedLikes(id, count: count)
        case .anchorPresent(let id):
            api.applyReplicatedPresence(id)
        }
    }
}
