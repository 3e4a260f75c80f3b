import CLibUV
import WliveCodec
import WliveEngine
import WliveProtocol
import WliveStore

/// A viewer that reconnected with `since_seq`, on its way to the live stream: what it was
/// told, and the last comment it has been sent.
struct CatchUp {
    let connection: WebSocketConnection
    let record: ChannelRecord
    let interval: Int
    var acknowledgement: Acknowledgement
    var isAcknowledged = false
    /// The last comment sent to it (or reported missed).
    var since: UInt64
}

/// Resume: a reconnecting viewer gets every comment after its `since_seq`, from this worker's
/// ring when it still holds them, else page by page from the history (through the ingest loop,
/// whose journal reads the store off any loop), and then the live stream, with no hole and no
/// repeat. What retention no longer holds is reported in one `gap` notice (`retention`).
extension EventLoop {
    /// Messages one loop turn replays at most; resumes past it wait for the next turn.
    static let replayBudgetPerTurn = 65_536

    /// Takes a resuming viewer one step further: into the live stream when the ring covers
    /// what it still misses, else to the history.
    func continueResume(_ catchUp: CatchUp) {
        guard catchUp.connection.phase == .open else { return }
        guard replayBudget > 0 else {
            deferredResumes.append(catchUp)
            if deferredResumes.count == 1 {
                uv_idle_start(resumeTurn) { handle in EventLoop.from(handle!.pointee.loop).resumeDeferred() }
            }
            return
        }
        var catchUp = catchUp
        let connection = catchUp.connection
        switch subscribe(connection, to: catchUp.record, resumingAfter: catchUp.since) {
        case .fromRing(let messages):
            connection.joined(catchUp.record)
            if !catchUp.isAcknowledged {
                catchUp.acknowledgement.replayed = messages.count
                connection.write(.handshakeAccepted(catchUp.acknowledgement))
            }
            replayBudget -= messages.count
            fanOutConsumer.replay(messages, to: connection, through: self)
            connection.startBeating(catchUp.record, interval: catchUp.interval)
        case .needsHistory:
            requestHistory(catchUp)
        }
    }

    /// A new turn: the resumes that waited for budget go on.
    private func resumeDeferred() {
        var waiting: [CatchUp] = []
        swap(&waiting, &deferredResumes)
        uv_idle_stop(resumeTurn)
        for (index, catchUp) in waiting.enumerated() {
            guard replayBudget > 0 else {
                deferredResumes += waiting[index...]
                uv_idle_start(resumeTurn) { handle in EventLoop.from(handle!.pointee.loop).resumeDeferred() }
                return
            }
            continueResume(catchUp)
        }
    }

    /// Asks the ingest loop's journal for the comments after `catchUp.since`.
    private func requestHistory(_ catchUp: CatchUp) {
        guard let ingest = ingestLoop else {
            catchUp.connection.fail(.internalError, reason: "history unavailable")
            return
        }
        catchUpSerial += 1
        let request = catchUpSerial
        catchUps[request] = catchUp
        let (channel, since) = (catchUp.record.id, catchUp.since)
        let worker = self
        ingest.send(
            .run { ingest in
                ingest.history?.read(channel, after: since) { page in
                    worker.send(.run { $0.historyArrived(request, page) })
                }
            })
    }

    /// A page of history for a resuming viewer: the acknowledgement first (once), a `gap` for
    /// what retention dropped, the comments; then the next step.
    private func historyArrived(_ request: Int, _ result: Result<HistoryReader.Page, StoreError>) {
        guard var catchUp = catchUps.removeValue(forKey: request), catchUp.connection.phase == .open else { return }
        let connection = catchUp.connection
        guard case .success(let page) = result else {
            context.logger.error("history read failed", metadata: ["connection": .string(connection.id)])
            connection.fail(.internalError, reason: "history unavailable")
            return
        }
        let record = catchUp.record
        let before = catchUp.since
        var frames: [SharedFrame] = []
        // What the history no longer holds of what the viewer asked for; when the history
        // holds nothing the ring lacks, the ring's own start bounds it.
        let newest = max(page.lastSeq, record.lastSeq)
        let firstKept = page.firstSeq ?? page.oldestRetained ?? newest + 1
        let lost: ClosedRange<UInt64>? =
            firstKept > before + 1 && newest > before ? (before + 1)...min(firstKept - 1, newest) : nil
        if !catchUp.isAcknowledged {
            let start = lost?.upperBound ?? before
            catchUp.acknowledgement.replayed = Int(record.lastSeq > start ? record.lastSeq - start : 0)
            frames.append(connection.encoded(.handshakeAccepted(catchUp.acknowledgement)))
            catchUp.isAcknowledged = true
        }
        if let lost {
            frames.append(connection.encoded(retentionGap(lost, of: record)))
            catchUp.since = lost.upperBound
        }
        for message in page.messages where message.seq > catchUp.since {
            frames.append(connection.frame(for: message))
            catchUp.since = message.seq
        }
        connection.send(FrameBatch(frames))
        replayBudget -= frames.count
        counters.delivered.add(frames.count, ordering: .relaxed)
        if catchUp.since == before {
            // Nothing came back that the ring lacks: join the live stream, saying what is lost.
            catchUp.since = record.lastSeq
            if catchUp.since > before { connection.write(retentionGap((before + 1)...catchUp.since, of: record)) }
            connection.joinLiveStream(record)
            connection.startBeating(record, interval: catchUp.interval)
            return
        }
        continueResume(catchUp)
    }
}

extension EventLoop {
    /// The `gap` notice for comments the history no longer keeps, counted with the loop's gaps.
    fileprivate func retentionGap(_ lost: ClosedRange<UInt64>, of record: ChannelRecord) -> ServerMessage {
        counters.gaps.add(1, ordering: .relaxed)
        return .gap(
            channelID: record.id, fromSeq: lost.lowerBound, toSeq: lost.upperBound, reason: .retention,
            time: wallClockMilliseconds())
    }
}

extension WebSocketConnection {
    /// A viewer whose handshake carried `since_seq` (and maybe `epoch`). In another epoch
    /// (the room reopened, the store lost), its seqs mean nothing here: it is replayed the
    /// room's retained history from the start, and told `resumed: false`.
    func resume(_ record: ChannelRecord, after point: ResumePoint, interval: Int, acknowledgement: Acknowledgement) {
        var acknowledgement = acknowledgement
        let sameEpoch = point.epoch == nil || point.epoch == record.epoch
        acknowledgement.resumed = sameEpoch
        loop.continueResume(
            CatchUp(
                connection: self, record: record, interval: interval, acknowledgement: acknowledgement,
                since: sameEpoch ? point.sinceSeq : 0))
    }
}
