import HoplineCore
import HoplineNet

/// The call's paths over time: relay sessions adopted as paths, probes on every path, failover and the
/// return to a direct path, re-proving relay sessions that went silent, and telling the media's jitter buffer
/// when the path (and so the latency) changes.
extension CallEngine {
    func adoptRelayPath(_ call: CallContext, relay: PeerAddress, channel: UInt32, linkID: Int, now: ClockInstant) {
        let key = PathKey.relayed(relay: relay, channel: channel)
        if !call.relayLinks.contains(linkID) { call.relayLinks.append(linkID) }
        guard call.paths.paths[key] == nil else { return }
        call.paths.add(key)
        if call.role == .initiator, call.phase == .handshaking, !call.handshakeTargets.contains(key) {
            call.handshakeTargets.append(key)
            sendHandshake(call, on: key)
        }
        if call.keys != nil { sendKeepalive(call, on: key, now: now) }
    }

    /// Probes due, liveness and failover, and relay sessions to re-prove.
    func tickPaths(_ call: CallContext, now: ClockInstant) {
        for key in call.paths.probesDue(at: now) { sendKeepalive(call, on: key, now: now) }
        reselectPath(call, now: now)
        // A relayed path gone silent may be a NAT mapping that changed under us: re-prove our address.
        for (key, path) in call.paths.paths
        where key.isRelayed && !path.withdrawn && path.lastHeard != nil && !call.paths.isAlive(key, at: now) {
            guard case .relayed(let relay, let channel) = key, let link = relays.joinedLink(relay: relay, channel: channel)
            else { continue }
            if let last = call.lastReprove[key], now.milliseconds(since: last) < 2_000 { continue }
            call.lastReprove[key] = now
            relays.reprove(link.id, now: now)
        }
    }

    func reselectPath(_ call: CallContext, now: ClockInstant) {
        if let change = call.paths.reselect(at: now) { report(call, change) }
    }

    /// Logs a path change and tells the jitter buffer (the latency may step).
    func report(_ call: CallContext, _ change: CallPathSet.Switch) {
        guard change.from != nil else { return }
        environment.event("path: now \(change.to.kindName) at \(change.to.nextHop) (\(change.reason))")
        call.media?.pathChanged()
    }
}
