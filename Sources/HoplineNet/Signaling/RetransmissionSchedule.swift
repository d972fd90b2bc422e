/// When to resend an unacknowledged message: after `initialMilliseconds`, then doubling up to
/// `maximumMilliseconds` between tries, giving up after `giveUpMilliseconds` from the first send.
/// Pure arithmetic on times the caller supplies (no clock inside), so tests step it exactly.
public struct RetransmissionSchedule: Equatable, Sendable {
    public var initialMilliseconds: Double
    public var maximumMilliseconds: Double
    public var giveUpMilliseconds: Double

    public init(initialMilliseconds: Double = 150, maximumMilliseconds: Double = 1_200, giveUpMilliseconds: Double = 5_000) {
        self.initialMilliseconds = initialMilliseconds
        self.maximumMilliseconds = maximumMilliseconds
        self.giveUpMilliseconds = giveUpMilliseconds
    }

    /// Delay before retry number `attempt` (0 = the first resend), in milliseconds.
    public func delay(beforeRetry attempt: Int) -> Double {
        var value = initialMilliseconds
        for _ in 0..<max(0, min(attempt, 30)) { value = min(value * 2, maximumMilliseconds) }
        return min(value, maximumMilliseconds)
    }
}

/// One message waiting for its acknowledgement (or, for handshake messages, for the answer).
public struct PendingTransmission: Sendable {
    public var bytes: [UInt8]
    public var firstSentMilliseconds: Double
    public var nextSendMilliseconds: Double
    public var retries = 0

    public init(bytes: [UInt8], now: Double, schedule: RetransmissionSchedule) {
        self.bytes = bytes
        firstSentMilliseconds = now
        nextSendMilliseconds = now + schedule.delay(beforeRetry: 0)
    }

    /// What to do at `now`: nothing yet, resend (and the next time is set), or give up.
    public mutating func poll(now: Double, schedule: RetransmissionSchedule) -> RetransmissionAction {
        if now - firstSentMilliseconds >= schedule.giveUpMilliseconds { return .giveUp }
        guard now >= nextSendMilliseconds else { return .wait }
        retries += 1
        nextSendMilliseconds = now + schedule.delay(beforeRetry: retries)
        return .resend
    }
}

/// The outcome of `PendingTransmission.poll`.
public enum RetransmissionAction: Equatable, Sendable {
    case wait
    case resend
    case giveUp
}
