import HoplineCore

/// The paths one call owns (direct, relayed through R1, relayed through R2, ...), each with its own liveness
/// and round-trip time, and which one is active. Pure logic on the times it is given: the failover policy is
/// tested exactly on a virtual clock.
///
/// Policy: a path is alive while it keeps being heard: within `mediaSilenceMilliseconds` while the peer's
/// media flows on it (a run of media packets, the last one at most `mediaRecencyMilliseconds` before the
/// last packet heard), within `idleSilenceMilliseconds` otherwise (probes and keepalives only). The active
/// path moves when it dies (to the best live path), when a direct path is alive while on a relay (direct
/// first, no gap: the direct path was already heard), when another relay is clearly faster, and (on the
/// callee) to the path the caller's media arrives on, so both ends converge on one path.
struct CallPathSet {
    struct Policy {
        /// A path carrying the peer's media is dead after this long without a packet.
        var mediaSilenceMilliseconds: Double = 160
        /// A path carrying only probes and keepalives is dead after this long without a packet.
        var idleSilenceMilliseconds: Double = 1_500
        /// Standby paths are probed this often.
        var standbyProbeMilliseconds: Double = 250
        /// The active path gets a keepalive this often (RTT; media proves liveness in between).
        var activeProbeMilliseconds: Double = 1_000
        /// Paths never heard (a candidate that may open later) are probed this often.
        var unheardProbeMilliseconds: Double = 1_000
        /// Another relay must be at least this much faster (RTT) to take over a live one.
        var fasterRelayMarginMilliseconds: Double = 50
        /// Media packets in a run (no gap over `mediaRunGapMilliseconds`) before a path's media silence rule
        /// applies.
        var mediaRunForFastDetection = 3
        var mediaRunGapMilliseconds: Double = 200
        /// The media rule holds while the last media packet came at most this long before the last packet of
        /// any kind (a keepalive just before an outage does not slow its detection; a pause in media does).
        var mediaRecencyMilliseconds: Double = 100
    }

    struct Path: Equatable {
        let key: PathKey
        var lastHeard: ClockInstant?
        var lastMediaHeard: ClockInstant?
        /// Media packets heard in the current run (a gap of more than `mediaRunGapMilliseconds` starts a new one).
        var mediaRun = 0
        /// When the last probe (keepalive) went out on it.
        var lastSent: ClockInstant?
        var rttMilliseconds: Double?
        /// The relay said it is going away (DRAIN), or the path was given up.
        var withdrawn = false
        var packetsHeard = 0
    }

    /// Why the active path changed.
    enum SwitchReason: Equatable, CustomStringConvertible {
        case first
        case silent(milliseconds: Double)
        case withdrawn
        case directOpened
        case fasterRelay(from: Double, to: Double)
        case followingPeer

        var description: String {
            switch self {
            case .first: return "first path"
            case .silent(let ms): return String(format: "nothing heard for %.0f ms", ms)
            case .withdrawn: return "the relay is draining"
            case .directOpened: return "a direct path opened"
            case .fasterRelay(let from, let to): return String(format: "faster relay (RTT %.0f -> %.0f ms)", from, to)
            case .followingPeer: return "the peer's media arrives there"
            }
        }
    }

    struct Switch: Equatable {
        var from: PathKey?
        var to: PathKey
        var reason: SwitchReason
    }

    let policy: Policy
    private(set) var paths: [PathKey: Path] = [:]
    /// Insertion order, so choices among equals are stable.
    private(set) var order: [PathKey] = []
    private(set) var active: PathKey?
    private(set) var switches = 0

    init(policy: Policy = Policy()) { self.policy = policy }

    /// Adds a path that may carry the call (not yet heard).
    mutating func add(_ key: PathKey) {
        guard paths[key] == nil else { return }
        paths[key] = Path(key: key)
        order.append(key)
    }

    /// An authenticated packet arrived on `key` (adding the path if new: a peer-reflexive direct path).
    mutating func heard(_ key: PathKey, at now: ClockInstant, media: Bool) {
        add(key)
        guard var path = paths[key] else { return }
        path.lastHeard = now
        path.packetsHeard += 1
        if media {
            let continues = path.lastMediaHeard.map { now.milliseconds(since: $0) <= policy.mediaRunGapMilliseconds } ?? false
            path.mediaRun = continues ? path.mediaRun + 1 : 1
            path.lastMediaHeard = now
        }
        paths[key] = path
    }

    /// A probe (keepalive) went out on `key`.
    mutating func sent(_ key: PathKey, at now: ClockInstant) { paths[key]?.lastSent = now }

    mutating func measured(_ key: PathKey, rttMilliseconds: Double) {
        guard let previous = paths[key]?.rttMilliseconds else {
            paths[key]?.rttMilliseconds = rttMilliseconds
            return
        }
        paths[key]?.rttMilliseconds = previous + (rttMilliseconds - previous) / 4
    }

    /// The relay behind `key` is going away (or refused the session): stop using it now, for good.
    mutating func withdraw(_ key: PathKey) { paths[key]?.withdrawn = true }

    /// Makes `key` the active path at once (the first answer of a handshake, or an explicit choice).
    mutating func activate(_ key: PathKey, reason: SwitchReason = .first) -> Switch? {
        add(key)
        guard active != key else { return nil }
        let change = Switch(from: active, to: key, reason: reason)
        if active != nil { switches += 1 }
        active = key
        return change
    }

    func isAlive(_ key: PathKey, at now: ClockInstant) -> Bool {
        guard let path = paths[key], !path.withdrawn, let heard = path.lastHeard else { return false }
        return now.milliseconds(since: heard) <= silenceLimit(path)
    }

    private func silenceLimit(_ path: Path) -> Double {
        guard let media = path.lastMediaHeard, let heard = path.lastHeard, path.mediaRun >= policy.mediaRunForFastDetection,
            heard.milliseconds(since: media) <= policy.mediaRecencyMilliseconds
        else { return policy.idleSilenceMilliseconds }
        return policy.mediaSilenceMilliseconds
    }

    /// Live paths, best first: direct before relayed, then by RTT (unmeasured last), then by age.
    func ranked(at now: ClockInstant) -> [PathKey] {
        let live = order.filter { isAlive($0, at: now) }
        guard live.count > 1 else { return live }  // the usual single direct path: nothing to sort, every tick
        return live.enumerated().sorted { lhs, rhs in
            let a = paths[lhs.element]!, b = paths[rhs.element]!
            if a.key.isRelayed != b.key.isRelayed { return !a.key.isRelayed }
            let ra = a.rttMilliseconds ?? .infinity, rb = b.rttMilliseconds ?? .infinity
            if ra != rb { return ra < rb }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }

    /// Applies the policy at `now`; returns the switch it made, if any.
    mutating func reselect(at now: ClockInstant) -> Switch? {
        let best = ranked(at: now)
        guard let first = best.first else { return nil }
        guard let current = active else { return activate(first) }
        guard let currentPath = paths[current] else { return activate(first) }
        if currentPath.withdrawn { return activate(first, reason: .withdrawn) }
        if !isAlive(current, at: now) {
            guard first != current else { return nil }
            let silent = currentPath.lastHeard.map { now.milliseconds(since: $0) } ?? .infinity
            return activate(first, reason: .silent(milliseconds: silent))
        }
        guard current.isRelayed, first != current else { return nil }
        if !first.isRelayed { return activate(first, reason: .directOpened) }
        if let from = currentPath.rttMilliseconds, let to = paths[first]?.rttMilliseconds,
            to < from - policy.fasterRelayMarginMilliseconds
        {
            return activate(first, reason: .fasterRelay(from: from, to: to))
        }
        return nil
    }

    /// The callee follows the caller: media from the caller arrived on `key`, which is alive; move there.
    mutating func follow(_ key: PathKey, at now: ClockInstant) -> Switch? {
        guard key != active, isAlive(key, at: now) else { return nil }
        if let active, isAlive(active, at: now), !active.isRelayed, key.isRelayed { return nil }
        return activate(key, reason: .followingPeer)
    }

    /// Paths that should get a probe (a sealed keepalive) now.
    func probesDue(at now: ClockInstant) -> [PathKey] {
        order.filter { key in
            guard let path = paths[key], !path.withdrawn else { return false }
            let interval: Double
            if key == active {
                interval = policy.activeProbeMilliseconds
            } else if path.lastHeard == nil || !isAlive(key, at: now) {
                interval = policy.unheardProbeMilliseconds
            } else {
                interval = policy.standbyProbeMilliseconds
            }
            guard let sent = path.lastSent else { return true }
            return now.milliseconds(since: sent) >= interval
        }
    }

    /// The next instant something may change: a path going silent or a probe falling due.
    func nextDeadline(after now: ClockInstant) -> ClockInstant {
        var deadline = now.advanced(byNanoseconds: 250_000_000)
        for path in paths.values {
            if let heard = path.lastHeard {
                let silentAt = heard.advanced(byNanoseconds: Int64(silenceLimit(path) * 1_000_000) + 1)
                if silentAt > now { deadline = min(deadline, silentAt) }
            }
        }
        return deadline
    }
}
