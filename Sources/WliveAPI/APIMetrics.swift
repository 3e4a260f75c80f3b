import CoreMetrics

/// What the HTTP API records through swift-metrics, for whichever backend the embedder picks
/// (the gateway's admin port uses Prometheus): requests by call and result code, the time each
/// call took, and refused comments by code. A handle is made once per label set and kept, so a
/// request costs a dictionary look-up, not a factory call.
struct APIMetrics {
    let factory: any MetricsFactory
    private var requests: [Labels: Counter] = [:]
    private var durations: [String: Timer] = [:]
    private var refusedComments: [Int: Counter] = [:]

    private struct Labels: Hashable {
        var call: String
        var status: Int
        var code: Int?
    }

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// One request answered: its call (`unknown` off the API's paths), the HTTP status, the
    /// envelope's code (nil when the answer has no envelope) and how long it took.
    mutating func answered(call: String, status: Int, code: Int?, nanoseconds: Int64) {
        let labels = Labels(call: call, status: status, code: code)
        if requests[labels] == nil {
            requests[labels] = Counter(
                label: "wlive_http_requests_total",
                dimensions: [("call", call), ("status", String(status)), ("code", code.map(String.init) ?? "none")],
                factory: factory)
        }
        requests[labels]!.increment()
        if durations[call] == nil {
            durations[call] = Timer(label: "wlive_http_request_duration_seconds", dimensions: [("call", call)], factory: factory)
        }
        durations[call]!.recordNanoseconds(nanoseconds)
        if call == LiveAPI.Call.sendComment.rawValue, let code, code != 0 {
            if refusedComments[code] == nil {
                refusedComments[code] = Counter(
                    label: "wlive_comments_refused_total", dimensions: [("code", String(code))], factory: factory)
            }
            refusedComments[code]!.increment()
        }
    }
}
