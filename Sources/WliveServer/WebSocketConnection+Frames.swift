import WliveCodec
import WliveDeflate
import WliveEngine
import WliveProtocol

extension WebSocketConnection {
    /// Parses and handles every complete frame in `bytes`; returns the bytes used.
    func receiveFrames(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while phase == .open || phase == .closeSent {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let header: WebSocketFrameHeader
            do {
                guard let decoded = try decoder.decodeHeader(rest) else { break }
                header = decoded
            } catch {
                fail(error.closeCode, reason: error.reason)
                break
            }
            guard rest.count >= header.frameLength else {
                checkArrivingText(header, UnsafeRawBufferPointer(rebasing: rest[header.headerLength...]))
                break
            }
            partialFrameChecked = 0
            let payload = UnsafeRawBufferPointer(rebasing: rest[header.headerLength..<header.frameLength])
            offset += header.frameLength
            handle(assembler.receive(header, payload: payload))
        }
        return offset
    }

    /// Validates the part of a text frame that has arrived so far, so that invalid UTF-8 fails
    /// the connection at once rather than when the frame's last byte comes (RFC 6455 section 8.1).
    private func checkArrivingText(_ header: WebSocketFrameHeader, _ arrived: UnsafeRawBufferPointer) {
        guard arrived.count > partialFrameChecked, let key = header.maskingKey else { return }
        if partialFrameChecked == 0 {
            guard let validator = assembler.textValidator(for: header) else { return }
            partialFrameValidator = validator
        }
        let fresh = UnsafeRawBufferPointer(rebasing: arrived[partialFrameChecked...])
        let valid = withUnsafeTemporaryAllocation(byteCount: fresh.count, alignment: 8) { scratch in
            key.apply(fresh, into: scratch, keyOffset: partialFrameChecked)
            return partialFrameValidator.validate(UnsafeRawBufferPointer(scratch))
        }
        partialFrameChecked = arrived.count
        if !valid { fail(.invalidPayloadData, reason: "invalid UTF-8") }
    }

    private func handle(_ action: WebSocketMessageAssembler.Action) {
        switch action {
        case .none, .pong:
            break
        case .ping(let payload):
            // Behind other writes, only the latest pong waits: a peer that pings without
            // reading gets one queued pong, never one per ping.
            if writesInFlight == 0 { write(SharedFrame(opcode: .pong, payload: payload)) } else { pendingPong = payload }
        case .message(let opcode, let bytes):
            receiveMessage(opcode, bytes)
        case .compressedMessage(let opcode, let compressed):
            guard phase == .open, let deflate else { return }
            let inflater = self.inflater ?? DeflateInflater(clientNoContextTakeover: deflate.clientNoContextTakeover)
            self.inflater = inflater
            do {
                let bytes = try inflater.inflate(compressed, limit: assembler.maxMessageSize)
                guard opcode != .text || UTF8Validator.isValid(bytes) else {
                    fail(.invalidPayloadData, reason: "invalid UTF-8")
                    return
                }
                receiveMessage(opcode, bytes)
            } catch .tooBig {
                fail(.messageTooBig, reason: "message too big once inflated")
            } catch {
                fail(.invalidPayloadData, reason: "invalid deflate data")
            }
        case .close(let code, _):
            if phase == .open {
                // Echo the peer's code; a close without a code is answered without one.
                let payload = code.map { WebSocketFrameEncoder.closePayload(code: $0, reason: "") } ?? []
                send(FrameBatch([SharedFrame(opcode: .close, payload: payload)]))
                loop.counters.countClose(Int((code ?? .noStatusReceived).rawValue))
                closeCounted = true
            }
            linger()
        case .fail(let error):
            fail(error.closeCode, reason: error.reason)
        }
    }

    /// A whole text or binary message, inflated if it came compressed.
    private func receiveMessage(_ opcode: WebSocketOpcode, _ bytes: [UInt8]) {
        // After our close frame, data is read and dropped (RFC 6455 section 5.5.1).
        guard phase == .open else { return }
        switch role {
        case .echo:
            write(echoFrame(opcode, bytes))
        case .wlive(var session):
            let action = opcode == .text ? session.receiveText(bytes) : session.receiveBinary()
            role = .wlive(session)
            perform(action)
        }
    }

    /// Carries out what the Wlive session decided.
    func perform(_ action: WliveSession.Action) {
        switch action {
        case .none:
            break
        case .resolveChannel(let id):
            guard case .wlive(var session) = role else { return }
            let record = loop.context.channels.lookup(id)
            let counts = record?.counts(extraConnections: 1) ?? ChannelCounts(online: 0, total: 0, connections: 0)
            let state = record?.state ?? loop.context.channels.state(of: id)
            let resume = session.resume
            let moderation = record?.moderation ?? RoomModeration()
            let handshake = session.pendingHandshake
            let admitted = handshake.map { loop.context.admits($0, moderation: moderation) } ?? false
            isAnchor = handshake.map { loop.context.isAnchor($0, moderation: moderation) } ?? false
            let next = session.channelResolved(
                state, counts: counts, lastSeq: record?.lastSeq ?? 0, epoch: record?.epoch ?? 0, now: wallClockMilliseconds(),
                admitted: admitted)
            role = .wlive(session)
            if case .subscribe(_, let interval, .handshakeAccepted(var ack)) = next, let record {
                ack.modes = moderation.modes
                ack.pinned = moderation.pinned
                subscribe(to: record, interval: interval, acknowledgement: ack, resume: resume)
            } else {
                perform(next)
            }
        case .subscribe:
            // Only `resolveChannel` leads here, handled above.
            break
        case .send(let message):
            write(message)
        case .sendAndClose(let message, let code, let reason):
            if case .handshakeRejected(let result, let text) = message {
                loop.counters.countHandshake(result)
                loop.context.logger.debug(
                    "handshake refused", metadata: ["connection": .string(id), "code": "\(result)", "reason": .string(text)])
                if isEventStream { return refuseEventStream(result, text) }
            }
            write(message)
            close(code, reason: reason)
        }
    }

    /// Subscribes a viewer whose handshake was accepted: a fresh one joins the live stream at
    /// once; a resuming one first gets what it missed (`WebSocketConnection+Resume`).
    private func subscribe(to record: ChannelRecord, interval: Int, acknowledgement: Acknowledgement, resume: ResumePoint?) {
        loop.counters.countHandshake(.success)
        loop.context.logger.debug(
            "viewer subscribed", metadata: ["connection": .string(id), "channel": "\(record.id)", "interval": "\(interval)"])
        if let resume {
            self.resume(record, after: resume, interval: interval, acknowledgement: acknowledgement)
            return
        }
        // Counted and subscribed before the acknowledgement leaves, so a client that has it is in.
        joinLiveStream(record)
        write(.handshakeAccepted(acknowledgement))
        startBeating(record, interval: interval)
    }

    /// Becomes one of the channel's subscribers on this loop.
    func joinLiveStream(_ record: ChannelRecord) {
        loop.subscribe(self, to: record)
        joined(record)
    }

    /// The fan-out consumer took it as a subscriber: it counts as one.
    func joined(_ record: ChannelRecord) {
        channel = record
        record.adjustSubscribers(by: 1)
        if isAnchor { loop.anchorPresence(record.id, connected: true) }
    }

    /// Subscribed and acknowledged: heartbeats from now on, unless the room ended meanwhile.
    func startBeating(_ record: ChannelRecord, interval: Int) {
        guard phase == .open else { return }
        if record.state.isFinal {
            // Closed between the look-up and the subscription: the closing message may lie
            // before this worker's cursor, so it is sent here.
            write(.channelClosed(channelID: record.id, state: record.state, reason: "", time: wallClockMilliseconds()))
            close(.normalClosure, reason: "channel closed")
            return
        }
        let silence = loop.context.configuration.session.heartbeat.deadline(forInterval: interval)
        // An event-stream client never speaks after its request: its silence means nothing.
        let silenceTicks = isEventStream ? UInt64.max / 4 : EventLoop.ticks(Double(silence))
        lifecycle.subscribed(now: loop.currentTick, interval: EventLoop.ticks(Double(interval)), silence: silenceTicks)
        scheduleTimer()
    }

    /// A heartbeat is due: the channel's counts and last seq, then a ping.
    func sendHeartbeat() {
        guard let channel else { return }
        let beat = ServerMessage.heartbeat(
            channelID: channel.id, counts: channel.counts(), lastSeq: channel.lastSeq, time: wallClockMilliseconds())
        // An event stream gets the heartbeat record alone: it keeps proxies from timing out.
        send(FrameBatch(isEventStream ? [eventRecord(beat)] : [SharedFrame(beat), Self.pingFrame]))
    }

    /// One empty ping frame shared by every connection.
    static let pingFrame = SharedFrame(opcode: .ping, payload: [])
}
