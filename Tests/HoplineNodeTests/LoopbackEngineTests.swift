import HoplineAudio
import HoplineCore
import HoplineNet
@testable import HoplineNode
import XCTest

/// The lab runs the call's media engine (not a copy of it), and streams its audio in bounded memory.
final class LoopbackEngineTests: XCTestCase {
    private func demoInput() throws -> [Float] {
        try Resampler.resample(WAVReader.read(path: TestSupport.demoSample).audio, to: 48_000).samples
    }

    func testTheLabRunsTwoCallMediaSessionsWithSRTPAndSRTCP() throws {
        let input = try demoInput()
        let lab = try LoopbackLab(options: LoopbackOptions(pacing: .fast))
        var sessions: (caller: MediaSession, callee: MediaSession)?
        lab.finishedRunObserver = { session, _ in sessions = (session.caller, session.callee) }
        let outcome = try lab.run(input: input)
        let (caller, callee) = try XCTUnwrap(sessions)
        XCTAssertTrue(type(of: caller) == MediaSession.self && type(of: callee) == MediaSession.self)
        XCTAssertTrue(caller.cipher is SRTPMediaCipher, "keys from a Noise handshake, as in a call")
        XCTAssertTrue(callee.cipher is SRTPMediaCipher)
        // The report is read from those sessions' sender and receiver.
        XCTAssertEqual(outcome.report.frames.sent, caller.senderStatistics.packetsSent)
        XCTAssertEqual(outcome.report.frames.decoded, callee.receiver.counters.framesDecoded)
        XCTAssertEqual(outcome.report.frames.decoded, outcome.report.frames.sent)
        // SRTCP both ways, through the session's own report schedule (first after 250 ms, then every 1 s).
        let seconds = Double(input.count) / 48_000
        XCTAssertGreaterThanOrEqual(caller.rtcpCounters.senderReportsSent, Int(seconds) - 1)
        XCTAssertEqual(callee.rtcpCounters.senderReportsReceived, caller.rtcpCounters.senderReportsSent)
        XCTAssertGreaterThanOrEqual(callee.rtcpCounters.receiverReportsSent, Int(seconds) - 1)
        XCTAssertEqual(caller.rtcpCounters.receiverReportsReceived, callee.rtcpCounters.receiverReportsSent)
        XCTAssertEqual(outcome.report.rtcp.receiverReports, caller.rtcpCounters.receiverReportsReceived)
        XCTAssertNotNil(outcome.report.rtcp.roundTripMs, "the RTT comes from the callee echoing SRTCP sender reports")
        // On the wire: SRTP adds its 16-byte tag to RTP's 12-byte header; with UDP and IPv4, 56 bytes a packet.
        let overheadKbps = Double(outcome.report.frames.sent * 56) * 8 / outcome.report.audioSeconds / 1000
        XCTAssertEqual(outcome.report.bitrate.onWireKbps - outcome.report.bitrate.payloadKbps, overheadKbps, accuracy: 0.001)
    }

    func testAStreamedRunHoldsOnlyBoundedBuffersAndMatchesTheInMemoryRun() throws {
        let input = try demoInput()
        let options = LoopbackOptions(impairment: try ImpairmentSpec(parsing: "loss=5%,jitter=20ms,seed=4"), pacing: .fast)
        let inMemory = try LoopbackLab(options: options).run(input: input)

        // A 2-minute input generated on the fly (the demo sample over and over), never held whole.
        let generated = GeneratedInput(pattern: input, sampleCount: 120 * 48_000)
        let output = CheckingOutput()
        let lab = try LoopbackLab(options: options)
        var held = 0
        lab.finishedRunObserver = { _, sink in held = sink.maximumHeld }
        let outcome = try lab.run(input: generated, output: output)
        XCTAssertTrue(output.finished)
        XCTAssertEqual(output.count, generated.sampleCount, "exactly the input's length, streamed")
        XCTAssertLessThanOrEqual(generated.largestRead, 960, "the input is pulled a frame at a time")
        // Only the periods rendered before the first packet played wait for the alignment (a few 10 ms).
        XCTAssertLessThanOrEqual(held, 48_000 / 10)
        XCTAssertLessThanOrEqual(output.largestWrite, 48_000 / 10)
        XCTAssertEqual(outcome.report.audioSeconds, 120)
        XCTAssertGreaterThan(outcome.report.frames.decoded, 5_000)
        // Same engine and seed: the streamed run's first seconds are the in-memory run's.
        for (index, sample) in inMemory.output.prefix(2 * 48_000).enumerated() where index % 101 == 0 {
            XCTAssertEqual(output.head[index], sample, "sample \(index)")
        }
    }
}

/// An input made on demand from a repeating pattern, recording how much it was asked for at once.
private final class GeneratedInput: LoopbackInput {
    let sampleCount: Int
    private let pattern: [Float]
    private var position = 0
    private(set) var largestRead = 0

    init(pattern: [Float], sampleCount: Int) {
        self.pattern = pattern
        self.sampleCount = sampleCount
    }

    func read(maximumSamples: Int) throws -> [Float] {
        largestRead = max(largestRead, maximumSamples)
        let count = min(maximumSamples, sampleCount - position)
        defer { position += count }
        return (0..<count).map { pattern[(position + $0) % pattern.count] }
    }
}

/// An output that keeps only its first seconds and the size of its largest write.
private final class CheckingOutput: LoopbackOutput {
    private(set) var count = 0
    private(set) var largestWrite = 0
    private(set) var head: [Float] = []
    private(set) var finished = false

    func write(_ samples: [Float]) throws {
        XCTAssertFalse(finished)
        largestWrite = max(largestWrite, samples.count)
        if head.count < 2 * 48_000 { head += samples.prefix(2 * 48_000 - head.count) }
        count += samples.count
    }

    func finish() throws { finished = true }
}
