import HoplineCodec
import HoplineCore
import HoplineMedia

/// RTCP in a call (RFC 3550 reports, SRTCP, multiplexed on the media port as RFC 5761 allows): sender reports
/// so the peer can echo them for the round-trip time, receiver reports that drive the peer's sender
/// adaptation (planned FEC loss, bitrate), exactly as in the loopback lab.
extension MediaSession {
    /// Takes one SRTCP datagram. Refused packets (forged, replayed, too short) and authenticated RTCP that
    /// does not parse come back as a rejection for the node's counters; nothing is thrown.
    public func ingestRTCP(_ bytes: [UInt8], arrival: ClockInstant) -> Result<Void, MediaCipherRejection> {
        let rtcp: [UInt8]
        do {
            rtcp = try cipher.unprotectRTCP(bytes)
        } catch {
            return .failure(error)
        }
        let packet: RTCPPacket
        do {
            packet = try RTCPPacket(parsing: rtcp)
        } catch .unsupportedType {
            reports.counters.ignored += 1
            return .success(())
        } catch {
            return .failure(.malformed)
        }
        switch packet {
        case .senderReport:
            receiver.ingest(rtcp, arrival: arrival)
            reports.counters.senderReportsReceived += 1
        case .receiverReport(let report):
            reports.counters.receiverReportsReceived += 1
            if let block = report.blocks.first(where: { $0.sourceSSRC == sender.ssrc }) { reports.peerReport = block }
            sender.handleRTCP(rtcp, now: arrival)
        }
        return .success(())
    }

    /// Sends a sender report (once media is flowing out) and a receiver report (once media came in) when due.
    func sendReportsIfDue(now: ClockInstant, send: ([UInt8]) -> Void) {
        guard reports.takeDue(now: now) else { return }
        if sending && sender.statistics.packetsSent > 0, let protected = try? cipher.protectRTCP(sender.makeSenderReport(now: now)) {
            send(protected)
            reports.counters.senderReportsSent += 1
        }
        if let report = receiver.makeReceiverReport(reporterSSRC: sender.ssrc, now: now),
            let protected = try? cipher.protectRTCP(report)
        {
            send(protected)
            reports.counters.receiverReportsSent += 1
        }
    }

    /// Reports sent and received in this call.
    public var rtcpCounters: RTCPCounters { reports.counters }
    /// The latest report block the peer sent about our stream (its loss and jitter), nil before one came.
    public var peerReport: RTCPPacket.ReportBlock? { reports.peerReport }
    /// Round-trip time from the latest receiver report that echoed one of our sender reports (LSR/DLSR), ms.
    public var rtcpRoundTripMilliseconds: Double? { sender.adaptation.roundTripMilliseconds }
    /// Whether our packets may carry RED (the peer offered it), and how many previous frames they carry now.
    public var sendsRED: Bool { sender.redPayloadType != nil }
    public var redundancyDistance: Int { sender.adaptation.redundancyDistance }
    /// The encoder's settings now: base settings as adapted to the peer's reports.
    public var currentCodecSettings: OpusSettings { sender.settings }
}
