import Testing

@testable import WliveProtocol

/// The connection's phases on a manual clock (ticks).
@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    typealias Action = ConnectionStateMachine.Action

    /// Fires the timer at each time in turn and returns the actions.
    func fire(_ connection: inout ConnectionStateMachine, at times: [UInt64], idle: Bool = false) -> [Action] {
        times.map { connection.timerFired(now: $0, idle: idle) }
    }

    @Test func aRequestThatDoesNotArriveInTimeIs408AndAnIdleKeepAliveClosesQuietly() {
        var connection = ConnectionStateMachine(now: 0, requestTimeout: 100)
        #expect(connection.nextDeadline == 100)
        #expect(fire(&connection, at: [99, 100]) == [.none, .requestTimedOut])
        var keepAlive = ConnectionStateMachine(now: 0, requestTimeout: 100)
        keepAlive.requestsAnswered(now: 50, idleTimeout: 100)
        #expect(fire(&keepAlive, at: [100]) == [.none])
        #expect(fire(&keepAlive, at: [150], idle: true) == [.closeIdle])
    }

    @Test func afterTheUpgradeTheHandshakeHasItsOwnDeadlineAndAnEchoNone() {
        var wlive = ConnectionStateMachine(now: 0, requestTimeout: 100)
        wlive.upgraded(now: 10, handshakeTimeout: 100)
        #expect(wlive.phase == .open && wlive.nextDeadline == 110)
        #expect(fire(&wlive, at: [110]) == [.handshakeTimedOut])
        var echo = ConnectionStateMachine(now: 0, requestTimeout: 100)
        echo.upgraded(now: 10, handshakeTimeout: nil)
        #expect(echo.nextDeadline == .max)
        #expect(fire(&echo, at: [1_000_000]) == [.none])
    }

    @Test func aSubscribedConnectionBeatsEveryIntervalAndFailsAfterTheSilenceLimit() {
        var connection = ConnectionStateMachine(now: 0, requestTimeout: 100)
        connection.upgraded(now: 0, handshakeTimeout: 100)
        connection.subscribed(now: 10, interval: 50, silence: 100)
        // The handshake deadline is gone; the first beat is due one interval after subscribing.
        #expect(connection.nextDeadline == 60)
        #expect(fire(&connection, at: [60]) == [.heartbeat])
        // The silence limit: nothing heard since 0.
        #expect(connection.nextDeadline == 100)
        connection.received(now: 70)  // a pong
        #expect(connection.nextDeadline == 110)
        #expect(fire(&connection, at: [110, 159, 160, 170]) == [.heartbeat, .none, .heartbeat, .silent])
    }

    @Test func aCloseOrALingerThatIsNotAnsweredInTimeEndsInAReset() {
        var closing = ConnectionStateMachine(now: 0, requestTimeout: 100)
        closing.upgraded(now: 0, handshakeTimeout: nil)
        closing.subscribed(now: 0, interval: 10, silence: 20)
        let sent = closing.closeSent(now: 5, within: 30)
        // No heartbeats once our close is out; only the close handshake's deadline.
        #expect(sent && closing.phase == .closeSent && closing.nextDeadline == 35)
        #expect(fire(&closing, at: [20, 35]) == [.none, .reset])

        var lingering = ConnectionStateMachine(now: 0, requestTimeout: 100)
        let first = lingering.lingering(now: 1, within: 30)
        let second = lingering.lingering(now: 2, within: 30)
        let closeAfterLinger = lingering.closeSent(now: 2, within: 30)
        #expect(first && !second && !closeAfterLinger && lingering.nextDeadline == 31)
        #expect(fire(&lingering, at: [31]) == [.reset])
        let closed = lingering.closed()
        let closedAgain = lingering.closed()
        #expect(closed && !closedAgain && lingering.nextDeadline == .max)
        #expect(fire(&lingering, at: [1_000]) == [.none])
    }
}
