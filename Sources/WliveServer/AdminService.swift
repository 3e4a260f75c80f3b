import CLibUV
import WliveAdmin
import WliveCodec
import WliveEngine
import WliveProtocol

/// The admin port's routes, on the ingest loop: it reads the workers' counters (atomics), the
/// channel directory and the fan-out producer, which all live or are readable there, and hands
/// plain snapshots to `WliveAdmin` to render.
final class AdminService: HTTPResponder {
    unowned let ingest: EventLoop
    let workers: [EventLoop]
    let exporter: PrometheusExporter
    private var history = StatsHistory()
    /// Each live room's last seq at the previous one-second sample, and its comment rate since.
    private var roomRates: [ChannelID: (seq: UInt64, perSecond: Double)] = [:]
    /// Most rooms each list of the operator page shows.
    static let topRooms = 10
    /// Most recent comments a room's detail shows.
    static let recentComments = 20

    init(ingest: EventLoop, workers: [EventLoop], exporter: PrometheusExporter) {
        self.ingest = ingest
        self.workers = workers
        self.exporter = exporter
    }

    var context: GatewayContext { ingest.context }

    func respond(to request: HTTPRequest, connectionID: String, completion: @escaping (HTTPResponse) -> Void) {
        let admin = context.configuration.admin
        let route: AdminRoute
        switch AdminRoute.resolve(request, token: admin.token.isEmpty ? nil : admin.token) {
        case .failure(let refusal):
            completion(refusal.response)
            return
        case .success(let resolved): route = resolved
        }
        var response = answer(route)
        if request.method == "HEAD" {
            response.headers.append(("Content-Length", String(response.body.count)))
            response.body = []
        }
        if !request.keepAlive { response.headers.append(("Connection", "close")) }
        completion(response)
    }

    private func answer(_ route: AdminRoute) -> HTTPResponse {
        switch route {
        case .metrics:
            return Self.ok("text/plain; version=0.0.4; charset=utf-8", exporter.render(snapshot()))
        case .healthz:
            return Self.ok("text/plain; charset=utf-8", Array("ok\n".utf8))
        case .readyz:
            let ready = isReady
            return HTTPResponse(
                status: ready ? 200 : 503, headers: [("Content-Type", "text/plain; charset=utf-8")],
                body: Array((ready ? "ready\n" : context.isDraining.load(ordering: .relaxed) ? "draining\n" : "not ready\n").utf8)
            )
        case .page:
            return Self.ok("text/html; charset=utf-8", AdminAssets.page)
        case .openAPI:
            return Self.ok("application/yaml; charset=utf-8", AdminAssets.openAPI)
        case .stats:
            let document = StatsDocument(
                snapshot: snapshot(), history: history, rooms: rooms(), top: Self.topRooms,
                now: ProcessStatistics.wallClockSeconds())
            return Self.ok("application/json; charset=utf-8", document.encoded())
        case .room(let text):
            guard let id = ChannelID(text), let record = context.channels.lookup(id) else {
                return HTTPResponse(
                    status: 404, headers: [("Content-Type", "application/json; charset=utf-8")],
                    body: Array(#"{"error":"no live room with this id"}"#.utf8))
            }
            let document = RoomDocument(room: room(record), comments: recentComments(of: record))
            return Self.ok("application/json; charset=utf-8", document.encoded())
        }
    }

    static func ok(_ contentType: String, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", contentType), ("Cache-Control", "no-store")], body: body)
    }

    /// Ready for traffic: not draining, and every worker's listener accepting.
    var isReady: Bool {
        !context.isDraining.load(ordering: .relaxed) && workers.allSatisfy { $0.counters.isListening.load(ordering: .relaxed) }
    }

    // MARK: Snapshots

    func snapshot() -> GatewaySnapshot {
        var snapshot = GatewaySnapshot()
        snapshot.workers = workers.map { Self.worker($0.counters) }
        snapshot.latency = latency
        snapshot.apiConnections = ingest.counters.connections.load(ordering: .relaxed)
        let census = context.channels.census()
        snapshot.liveChannels = census.open.count
        snapshot.closedChannels = census.finished
        for record in census.open where record.ring.isAllocated {
            snapshot.ringMessages += Int(min(record.ring.publishedCount, UInt64(record.ring.capacity)))
            snapshot.ringCapacity += record.ring.capacity
        }
        snapshot.commentsAccepted = ingest.fanOut?.commentsPublished ?? 0
        for (rule, count) in ingest.api?.spam.refusals ?? [:] { snapshot.spamRefusals[rule.rawValue] = count }
        snapshot.process = ProcessStatistics.current(startTimeSeconds: context.startTime)
        snapshot.isReady = isReady
        return snapshot
    }

    /// Every worker's latency counts added up.
    private var latency: LatencySnapshot {
        workers.reduce(LatencySnapshot()) { $0 + ($1.counters.latency?.snapshot() ?? LatencySnapshot()) }
    }

    static func worker(_ counters: LoopCounters) -> GatewaySnapshot.Worker {
        var worker = GatewaySnapshot.Worker()
        worker.connections = counters.connections.load(ordering: .relaxed)
        worker.accepted = counters.accepted.load(ordering: .relaxed)
        worker.subscribers = counters.subscribers.load(ordering: .relaxed)
        worker.delivered = counters.delivered.load(ordering: .relaxed)
        worker.writeCalls = counters.writeCalls.load(ordering: .relaxed)
        worker.coalescedWrites = counters.coalescedWrites.load(ordering: .relaxed)
        worker.bytesWritten = counters.bytesWritten.load(ordering: .relaxed)
        worker.deflatedMessages = counters.deflatedMessages.load(ordering: .relaxed)
        worker.gaps = [
            "overrun": counters.overrunGaps.load(ordering: .relaxed), "slow": counters.slowGaps.load(ordering: .relaxed),
        ]
        worker.slowConsumerActions = counters.slowConsumerActions.load(ordering: .relaxed)
        worker.refusedConnections = counters.refusedConnections.load(ordering: .relaxed)
        worker.acceptPauses = counters.acceptPauses.load(ordering: .relaxed)
        worker.handshakes = counters.handshakes.withLock { $0 }
        worker.closes = counters.closes.withLock { $0 }
        return worker
    }

    private func rooms() -> [GatewaySnapshot.Room] {
        context.channels.census().open.map(room)
    }

    private func room(_ record: ChannelRecord) -> GatewaySnapshot.Room {
        let counts = record.counts()
        return GatewaySnapshot.Room(
            id: String(describing: record.id), status: record.state.name,
            connections: counts.connections, online: counts.online, total: counts.total, lastSeq: record.lastSeq,
            commentRate: roomRates[record.id]?.perSecond ?? 0, delivered: record.delivered)
    }

    /// The JSON of the room's latest comments still in its ring, oldest first. The ingest loop
    /// is the ring's producer, the only thread that replaces entries, so it may read them as is.
    private func recentComments(of record: ChannelRecord) -> [[UInt8]] {
        let published = record.ring.publishedCount
        let window = UInt64(Self.recentComments * 4)
        let batch = record.ring.read(from: published > window ? published - window : 0)
        return batch.elements.filter { $0.kind == .comment }.suffix(Self.recentComments).map { $0.message.encoded() }
    }

    // MARK: Sampling

    /// Records the totals for the rate charts and each room's comment rate; once a second.
    func sample() {
        let counters = workers.map(\.counters)
        history.append(
            StatsHistory.Sample(
                time: Int64(ProcessStatistics.wallClockSeconds()), commentsAccepted: ingest.fanOut?.commentsPublished ?? 0,
                delivered: counters.reduce(0) { $0 + $1.delivered.load(ordering: .relaxed) },
                connections: counters.reduce(0) { $0 + $1.connections.load(ordering: .relaxed) }, latency: latency))
        var rates: [ChannelID: (seq: UInt64, perSecond: Double)] = [:]
        for record in context.channels.census().open {
            let seq = record.lastSeq
            let previous = roomRates[record.id]?.seq ?? seq
            rates[record.id] = (seq, Double(seq &- previous))
        }
        roomRates = rates
    }
}
