import HoplineAudio
import HoplineCore
import HoplineNet
@testable import HoplineNode
import XCTest

/// The call logic that needs no socket: target parsing, the rendezvous table's checks, media accounting
/// with a stand-in cipher, level metering.
final class CallLogicTests: XCTestCase {
    func testTargetsParseAsNodeIDPinnedOrAddress() throws {
        let id = NodeIdentity.generate().nodeID
        XCTAssertEqual(try CallTarget(parsing: id.description), .node(id))
        XCTAssertEqual(try CallTarget(parsing: "\(id)@127.0.0.1:4730"), .pinned(id, try PeerAddress(parsing: "127.0.0.1:4730")))
        XCTAssertEqual(try CallTarget(parsing: "[::1]:9"), .address(try PeerAddress(parsing: "[::1]:9")))
        XCTAssertThrowsError(try CallTarget(parsing: "alice")) {
            XCTAssertTrue("\($0)".hasPrefix("'alice' is neither a contact name, a node ID"), "\($0)")
        }
        XCTAssertThrowsError(try CallTarget(parsing: "hl-nonsense@127.0.0.1:1")) {
            XCTAssertTrue("\($0)".hasPrefix("'hl-nonsense' is not a node ID"), "\($0)")
        }
        XCTAssertThrowsError(try CallTarget(parsing: "\(id)@nowhere")) {
            XCTAssertTrue("\($0)".hasPrefix("'nowhere' after '@'"), "\($0)")
        }
    }

    private func registration(_ identity: NodeIdentity, timestamp: UInt64, signer: NodeIdentity? = nil) throws -> RendezvousRegistration {
        let signer = signer ?? identity
        var registration = RendezvousRegistration(
            staticKey: identity.nodeID.publicKey, signingKey: signer.signingPublicKey, timestamp: timestamp,
            candidates: [Candidate(kind: .host, address: try PeerAddress(parsing: "192.168.1.5:4730"))])
        registration.signature = try signer.sign(registration.signedBytes)
        return registration
    }

    func testRendezvousTableChecksTheKeyBindingSignaturesAndReplays() throws {
        var table = RendezvousTable()
        let node = NodeIdentity.generate(), intruder = NodeIdentity.generate()
        let observed = try PeerAddress(parsing: "203.0.113.7:40000")
        let now = ClockInstant(nanoseconds: 1_000_000_000)
        // Someone else's signing key can never register the node's ID: not before it registers...
        XCTAssertThrowsError(try table.register(try registration(node, timestamp: 9, signer: intruder), observed: observed, now: now)) {
            XCTAssertEqual($0 as? RendezvousTable.Refusal, .unboundKey)
        }
        try table.register(try registration(node, timestamp: 10), observed: observed, now: now)
        let entry = try XCTUnwrap(table.lookup(node.nodeID.publicKey, now: now))
        XCTAssertEqual(entry.candidates.map(\.kind), [.host, .serverReflexive])
        XCTAssertEqual(entry.candidates.last?.address, observed)

        var tampered = try registration(node, timestamp: 11)
        tampered.candidates = [Candidate(kind: .host, address: try PeerAddress(parsing: "6.6.6.6:1"))]
        XCTAssertThrowsError(try table.register(tampered, observed: observed, now: now)) {
            XCTAssertEqual($0 as? RendezvousTable.Refusal, .badSignature)
        }
        XCTAssertThrowsError(try table.register(try registration(node, timestamp: 10), observed: observed, now: now)) {
            XCTAssertEqual($0 as? RendezvousTable.Refusal, .replayed)
        }
        // ...nor while it is registered, nor after its registration expired (no first-come pinning to race).
        XCTAssertThrowsError(try table.register(try registration(node, timestamp: 12, signer: intruder), observed: observed, now: now)) {
            XCTAssertEqual($0 as? RendezvousTable.Refusal, .unboundKey)
        }
        let later = now.advanced(byNanoseconds: Int64(RendezvousTable.lifetimeSeconds + 1) * 1_000_000_000)
        XCTAssertNil(table.lookup(node.nodeID.publicKey, now: later))
        XCTAssertEqual(table.liveCount(now: later), 0)
        XCTAssertThrowsError(try table.register(try registration(node, timestamp: 13, signer: intruder), observed: observed, now: later)) {
            XCTAssertEqual($0 as? RendezvousTable.Refusal, .unboundKey)
        }
    }

    func testMediaSessionPacesFramesAndCountsRefusedPackets() throws {
        let cipher = StandInCipher()
        let source = FileAudioSource(samples: [Float](repeating: 0.25, count: 48_000))
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sink = RecordingSink(path: directory.appendingPathComponent("heard.wav").path)
        let start = ClockInstant(nanoseconds: 0)
        let session = try MediaSession(
            settings: .init(), jitterBuffer: FixedDelayJitterBuffer(targetDelayMilliseconds: 20), playoutPeriodMilliseconds: 10, cipher: cipher, source: source,
            sinks: [sink], start: start, sending: true)
        var sent: [[UInt8]] = []
        session.tick(now: start.advanced(byMilliseconds: 100)) { sent.append($0) }
        // Frames at 0, 20, ..., 100 ms: six; playout chunks at 10...100 ms: ten.
        XCTAssertEqual(sent.count, 6)
        XCTAssertEqual(sink.sampleCount, 10 * 480)
        for packet in sent { XCTAssertNoThrow(try session.ingest(packet, arrival: start.advanced(byMilliseconds: 100)).get()) }
        cipher.refusal = .replayed
        XCTAssertThrowsError(try session.ingest(sent[0], arrival: start).get()) {
            XCTAssertEqual($0 as? MediaCipherRejection, .replayed)
        }
        XCTAssertEqual(session.reception.packetsReceived, 6)
        session.tick(now: start.advanced(byMilliseconds: 200)) { sent.append($0) }
        XCTAssertNotNil(session.firstPlayedAt, "the looped-back frames were played")
        XCTAssertEqual(session.takeIntervalLoss(), 0)
        try sink.finish()
        XCTAssertEqual(try WAVReader.read(path: sink.path).audio.samples.count, 20 * 480, "streamed to the file")
    }

    /// The timelines `--stats` publishes (`sendStartMonotonicS`, `playoutStartMonotonicS`) for measuring
    /// mouth-to-ear from outside: the recording's sample 0 leaves at the first chunk's deadline, and a file's
    /// frame 0 at the instant sending may start (a responder waits for the initiator's proof of life).
    func testMediaSessionPublishesWhenPlayoutAndSendingStarted() throws {
        let start = ClockInstant(nanoseconds: 5_000_000_000)
        let session = try MediaSession(
            settings: .init(), jitterBuffer: FixedDelayJitterBuffer(targetDelayMilliseconds: 20), playoutPeriodMilliseconds: 10,
            cipher: StandInCipher(), source: FileAudioSource(samples: [Float](repeating: 0.25, count: 4_800)), sinks: [],
            start: start, sending: false)
        XCTAssertEqual(session.playoutOrigin, start.advanced(byMilliseconds: 10))
        XCTAssertNil(session.sendOrigin)
        var sent: [[UInt8]] = []
        session.tick(now: start.advanced(byMilliseconds: 35)) { sent.append($0) }
        XCTAssertTrue(sent.isEmpty, "nothing is sent before sending may start")
        session.startSending(now: start.advanced(byMilliseconds: 37))
        XCTAssertEqual(session.sendOrigin, start.advanced(byMilliseconds: 37))
        session.tick(now: start.advanced(byMilliseconds: 37)) { sent.append($0) }
        XCTAssertEqual(sent.count, 1, "frame 0 leaves at the send origin")
        session.startSending(now: start.advanced(byMilliseconds: 80))
        XCTAssertEqual(session.sendOrigin, start.advanced(byMilliseconds: 37), "a second start changes nothing")

        let initiator = try MediaSession(
            settings: .init(), jitterBuffer: FixedDelayJitterBuffer(targetDelayMilliseconds: 20), playoutPeriodMilliseconds: 10,
            cipher: StandInCipher(), source: FileAudioSource(samples: []), sinks: [], start: start, sending: true)
        XCTAssertEqual(initiator.sendOrigin, start)
    }

    func testLevelMeterReportsRMSInDecibelsFullScale() {
        var meter = LevelMeter()
        XCTAssertNil(meter.take())
        let half = [Float](repeating: 0.5, count: 480)
        half.withUnsafeBufferPointer { meter.add($0) }
        XCTAssertEqual(meter.take() ?? 0, -6.02, accuracy: 0.01)
        [Float](repeating: 0, count: 480).withUnsafeBufferPointer { meter.add($0) }
        XCTAssertEqual(meter.take(), -100)
    }
}

/// Passes RTP through unchanged, or refuses everything with `refusal`: the media session's accounting
/// without libsrtp2 (the real cipher is exercised by the call tests).
private final class StandInCipher: MediaCipher {
    var refusal: MediaCipherRejection?
    func protect(_ rtp: [UInt8]) throws -> [UInt8] { rtp }
    func unprotect(_ srtp: [UInt8]) throws(MediaCipherRejection) -> [UInt8] {
        if let refusal { throw refusal }
        return srtp
    }
    func protectRTCP(_ rtcp: [UInt8]) throws -> [UInt8] { rtcp }
    func unprotectRTCP(_ srtcp: [UInt8]) throws(MediaCipherRejection) -> [UInt8] { try unprotect(srtcp) }
}
