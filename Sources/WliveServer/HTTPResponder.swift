import WliveAPI
import WliveCodec

/// What answers the requests of an HTTP port (the live API, the admin routes): each answer goes
/// through `completion`, now or after a round trip, on the loop that owns the port.
protocol HTTPResponder: AnyObject {
    /// - Parameter connectionID: the connection's id, for log lines about the request.
    func respond(to request: HTTPRequest, connectionID: String, completion: @escaping (HTTPResponse) -> Void)
}

extension LiveAPI: HTTPResponder {}

extension EventLoop {
    /// Who answers requests arriving on a port of `kind`; nil on loops that do not serve it.
    func responder(for kind: Listener.Kind) -> (any HTTPResponder)? {
        switch kind {
        case .api: return api
        case .admin: return admin
        case .webSocket: return nil
        }
    }
}
