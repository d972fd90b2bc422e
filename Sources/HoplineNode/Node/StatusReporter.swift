import Foundation
import HoplineAudio
import HoplineCore
import HoplineNet

/// The node's once-a-second status: the in-call status line on a terminal and the `--stats` JSON lines.
/// Owned by the node's loop thread.
final class StatusReporter {
    private let settings: NodeSettings
    private var statsFile: FileHandle?
    private(set) var nextReport: ClockInstant
    private(set) var drawn = false
    private var lastBytesSent = 0
    private var lastBytesReceived = 0

    init(settings: NodeSettings, start: ClockInstant) throws {
        self.settings = settings
        nextReport = start.advanced(byNanoseconds: 1_000_000_000)
        if let statsPath = settings.statsPath {
            guard FileManager.default.createFile(atPath: statsPath, contents: nil),
                let handle = FileHandle(forWritingAtPath: statsPath)
            else {
                throw CallError.invalidArgument("--stats \(statsPath): cannot create the file")
            }
            statsFile = handle
        }
    }

    deinit { try? statsFile?.close() }

    /// Reports if a second has passed.
    func tick(now: ClockInstant, core: NodeCore, socket: TransportStatistics) {
        guard now >= nextReport else { return }
        report(now: now, core: core, socket: socket, final: false)
        nextReport = nextReport.advanced(byNanoseconds: 1_000_000_000)
        if nextReport < now { nextReport = now.advanced(byNanoseconds: 1_000_000_000) }
    }

    /// Removes the status line (before an event line, and at exit).
    func clearLine() {
        guard drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        drawn = false
    }

    func report(now: ClockInstant, core: NodeCore, socket: TransportStatistics, final: Bool) {
        let environment = core.environment
        var status = CallStatus(
            time: now.seconds - environment.origin.seconds, state: core.calls.call?.phase.rawValue ?? "listening",
            counters: environment.counters, rendezvous: core.rendezvous.counters,
            datagramsReceived: socket.datagramsReceived, datagramsSent: socket.datagramsSent)
        status.sendKbps = Double(socket.bytesSent - lastBytesSent) * 8 / 1000
        status.receiveKbps = Double(socket.bytesReceived - lastBytesReceived) * 8 / 1000
        lastBytesSent = socket.bytesSent
        lastBytesReceived = socket.bytesReceived
        if let call = core.calls.call { describe(call, into: &status, now: now) }
        if let live = core.calls.liveAudio { describe(live, into: &status) }
        if let statsFile { statsFile.write(Data((status.jsonLine() + "\n").utf8)) }
        if settings.showStatusLine, !final, isatty(STDERR_FILENO) != 0 {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + status.line).utf8))
            drawn = true
        }
    }

    private func describe(_ live: LiveAudioSession, into status: inout CallStatus) {
        status.captureDriftPpm = live.capture?.statistics.measuredPPM
        if let playback = live.playback?.statistics {
            status.playbackDriftPpm = playback.measuredPPM
            status.speakerDelayMs = playback.delaySeconds * 1_000
            status.speakerResyncs = playback.resyncs
        }
        if let metrics = live.processor?.echoMetrics {
            status.echoErleDb = metrics.echoReturnLossEnhancementDb
            status.echoDelayMs = metrics.delayMilliseconds
        }
    }

    private func describe(_ call: CallContext, into status: inout CallStatus, now: ClockInstant) {
        status.peer = call.peerID?.description
        if let active = call.paths.active {
            status.path = active.kindName
            status.remote = active.nextHop.description
        }
        status.paths = call.paths.order.compactMap { key in
            guard let path = call.paths.paths[key] else { return nil }
            return PathStatus(
                name: key.kindName, address: key.nextHop.description, active: key == call.paths.active,
                alive: call.paths.isAlive(key, at: now), rttMs: path.rttMilliseconds)
        }
        status.pathSwitches = call.paths.switches
        status.rttMs = call.rttMilliseconds
        if let keys = call.keys {
            status.sendKeyEpoch = Int(keys.sendEpoch)
            status.receiveKeyEpoch = Int(keys.receiveEpoch)
            status.rekeys = keys.rekeys
        }
        guard let media = call.media else { return }
        status.lossPercent = media.takeIntervalLoss()
        status.jitterMs = media.reception.jitterMilliseconds
        status.bufferDelayMs = media.takeIntervalBufferDelay()
        let levels = media.takeLevels()
        status.inputDb = levels.input
        status.outputDb = levels.output
        status.packetsSent = media.senderStatistics.packetsSent
        status.packetsReceived = media.reception.packetsReceived
        status.framesConcealed = media.jitterStatistics.concealed
        status.redNegotiated = media.sendsRED
        status.redDistance = media.sendsRED ? media.redundancyDistance : 0
        status.redundancyBytesSent = media.senderStatistics.redundancyBytesSent
        status.redFramesRecovered = media.jitterStatistics.redundantCopiesUsed
        status.rtcpRttMs = media.rtcpRoundTripMilliseconds
        if let block = media.peerReport {
            status.peerLossPercent = Double(block.fractionLost) * 100 / 256
            status.peerJitterMs = Double(block.jitter) * 1000 / Double(RTPPacket.opusClockRate)
        }
        status.plannedLossPercent = media.currentCodecSettings.expectedLossPercent
        status.encoderKbps = Double(media.currentCodecSettings.bitrate) / 1000
        status.rtcp = media.rtcpCounters
        let oneWay = (status.rtcpRttMs ?? call.rttMilliseconds ?? 0) / 2 + (status.bufferDelayMs ?? settings.jitterTargetMilliseconds)
            + Double(settings.codec.frameMilliseconds) + media.lookaheadMilliseconds
        status.mouthToEarMs = oneWay
        status.mos = EModel.meanOpinionScore(oneWayDelayMilliseconds: oneWay, lossPercent: status.lossPercent ?? 0)
        if let first = media.firstPlayedAt { status.firstAudioMs = first.milliseconds(since: call.startedAt) }
        status.sendStartMonotonicS = media.sendOrigin?.seconds
        status.playoutStartMonotonicS = media.playoutOrigin.seconds
    }
}
