import Foundation
import XCTest

/// Calls between "machines": `hopline listen` and `hopline call` in their own network namespaces, over
/// real veth links (and, for NAT traversal, real nftables NAT routers).
final class CallNamespaceTests: CLITestCase {
    /// Both sides play the demo sample; each recording must hold the other's audio.
    ///
    /// Threshold: `CallTestSupport.match` (mean normalised cross-correlation of six aligned 0.5 s segments,
    /// 8 kHz) of the played sample and the recording measured 0.87-0.88 over 32 kbit/s Opus on a clean veth
    /// link (Opus does not keep the exact waveform); silence or unrelated audio gives under 0.1 (a call whose
    /// file started late measured 0.09). 0.7 leaves room for a concealed packet or two on a loaded machine
    /// while failing on missing or misaligned audio.
    func testCallBetweenTwoNamespacesCarriesAudioBothWays() throws {
        let lab = try NetworkNamespaces(testCase: self)
        let a = try lab.add("a"), b = try lab.add("b")
        try lab.link(a, "10.200.0.1/24", b, "10.200.0.2/24", name: "v")
        let sample = TestSupport.demoSample
        let listener = try lab.spawn(in: b, TestSupport.hoplineBinary, [
            "listen", "--identity", path("b.id"), "--bind", "10.200.0.2:4730", "--auto-answer", "--play", sample,
            "--record", path("b.wav"), "--stats", path("b.jsonl"), "--no-status",
        ])
        defer { listener.kill(); _ = listener.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(listener), "the listener did not print its node ID")
        let caller = try lab.spawn(in: a, TestSupport.hoplineBinary, [
            "call", "\(id)@10.200.0.2:4730", "--identity", path("a.id"), "--play", sample, "--record", path("a.wav"),
            "--duration", "4", "--stats", path("a.jsonl"), "--no-status",
        ])
        let status = caller.wait(timeout: 30)
        let callerOutput = caller.collectOutput()
        XCTAssertEqual(status, 0, callerOutput.stderr)
        XCTAssertTrue(callerOutput.stderr.contains("connected to"), callerOutput.stderr)
        XCTAssertTrue(CallTestSupport.waitForText("recorded", inFile: listener.stderrPath, timeout: 5), "listener did not write its recording")

        for recording in ["a.wav", "b.wav"] {
            let result = try CallTestSupport.match(referencePath: sample, recordedPath: path(recording), seconds: 3)
            XCTAssertGreaterThan(result.correlation, 0.7, "\(recording) does not hold the played audio")
        }
        let stats = CallTestSupport.lastStats(path("a.jsonl"))
        XCTAssertEqual(stats?["path"] as? String, "direct")
        XCTAssertGreaterThan(CallTestSupport.counter(stats, "mediaPacketsAccepted"), 150)
        XCTAssertEqual(CallTestSupport.counter(stats, "srtpForged"), 0)
    }

    /// Caller and callee each behind their own NAT router (nftables masquerade, which keeps ports: a cone
    /// NAT; unsolicited inbound packets dropped, as home routers do), a rendezvous in a "public" namespace
    /// between them. The callee registers; the caller asks for it by node ID; both punch; media must flow
    /// directly between the two NATs' public addresses and never through the rendezvous.
    func testCallThroughTwoNATsConnectsDirectlyByHolePunching() throws {
        let lab = try NetworkNamespaces(testCase: self)
        let (pub, hostA, hostB) = try lab.buildTwoNATs(symmetricB: false, scratch: directory)
        let sample = TestSupport.demoSample
        let rendezvous = try lab.spawn(in: pub, TestSupport.hoplineBinary, [
            "listen", "--identity", path("r.id"), "--bind", "0.0.0.0:4730", "--stats", path("r.jsonl"), "--no-status",
            "--no-microphone", "--no-speaker",
        ])
        defer { rendezvous.kill(); _ = rendezvous.collectOutput() }
        XCTAssertNotNil(CallTestSupport.waitForNodeID(rendezvous))
        let callee = try lab.spawn(in: hostB, TestSupport.hoplineBinary, [
            "listen", "--identity", path("b.id"), "--bind", "0.0.0.0:4730", "--rendezvous", "10.77.2.1:4730",
            "--auto-answer", "--play", sample, "--record", path("b.wav"), "--stats", path("b.jsonl"), "--no-status",
        ])
        defer { callee.kill(); _ = callee.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(callee))
        XCTAssertTrue(CallTestSupport.waitForText("registered at rendezvous", inFile: callee.stderrPath, timeout: 10))
        let caller = try lab.spawn(in: hostA, TestSupport.hoplineBinary, [
            "call", id, "--rendezvous", "10.77.1.1:4730", "--identity", path("a.id"), "--bind", "0.0.0.0:5000",
            "--play", sample, "--record", path("a.wav"), "--duration", "4", "--stats", path("a.jsonl"), "--no-status",
        ])
        let status = caller.wait(timeout: 30)
        let output = caller.collectOutput()
        XCTAssertEqual(status, 0, output.stderr)
        XCTAssertTrue(CallTestSupport.waitForText("recorded", inFile: callee.stderrPath, timeout: 5))

        let callerStats = CallTestSupport.lastStats(path("a.jsonl"))
        // The callee as the caller reached it: router B's public (WAN) address, not the rendezvous.
        XCTAssertEqual((callerStats?["remote"] as? String)?.hasPrefix("10.77.2.2:"), true, output.stderr)
        XCTAssertEqual(callerStats?["path"] as? String, "direct")
        XCTAssertGreaterThan(CallTestSupport.counter(callerStats, "mediaPacketsAccepted"), 150)
        // The rendezvous saw registrations and one lookup, and not one media packet.
        Thread.sleep(forTimeInterval: 1.1)  // its next once-a-second stats line
        let rendezvousStats = CallTestSupport.lastStats(path("r.jsonl"))
        XCTAssertEqual(CallTestSupport.counter(rendezvousStats, "mediaWithoutCall"), 0)
        XCTAssertEqual((rendezvousStats?["rendezvous"] as? [String: Any])?["lookups"] as? Int, 1)
        XCTAssertLessThan(rendezvousStats?["datagramsReceived"] as? Int ?? .max, 20, "media went through the rendezvous")
        for recording in ["a.wav", "b.wav"] {
            let result = try CallTestSupport.match(referencePath: sample, recordedPath: path(recording), seconds: 3)
            XCTAssertGreaterThan(result.correlation, 0.7, "\(recording) does not hold the played audio")
        }
    }

    /// Behind a symmetric NAT the punched path cannot open: the caller must give up within the answer
    /// timeout with the clear no-answer message (a relay is what such NATs need: the next issue).
    func testSymmetricNATFailsClearlyWithinTheAnswerTimeout() throws {
        let lab = try NetworkNamespaces(testCase: self)
        let (pub, hostA, hostB) = try lab.buildTwoNATs(symmetricB: true, scratch: directory)
        let rendezvous = try lab.spawn(in: pub, TestSupport.hoplineBinary, [
            "listen", "--identity", path("r.id"), "--bind", "0.0.0.0:4730", "--no-status", "--no-microphone", "--no-speaker",
        ])
        defer { rendezvous.kill(); _ = rendezvous.collectOutput() }
        XCTAssertNotNil(CallTestSupport.waitForNodeID(rendezvous))
        let callee = try lab.spawn(in: hostB, TestSupport.hoplineBinary, [
            "listen", "--identity", path("b.id"), "--bind", "0.0.0.0:4730", "--rendezvous", "10.77.2.1:4730",
            "--auto-answer", "--play", TestSupport.demoSample, "--record", path("b.wav"), "--no-status",
        ])
        defer { callee.kill(); _ = callee.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(callee))
        XCTAssertTrue(CallTestSupport.waitForText("registered at rendezvous", inFile: callee.stderrPath, timeout: 30))
        let started = Date()
        let caller = try lab.spawn(in: hostA, TestSupport.hoplineBinary, [
            "call", id, "--rendezvous", "10.77.1.1:4730", "--identity", path("a.id"), "--play", TestSupport.demoSample,
            "--record", path("a.wav"), "--no-status",
        ])
        let status = caller.wait(timeout: 30)
        let output = caller.collectOutput()
        XCTAssertEqual(status, 1, output.stderr)
        XCTAssertTrue(output.stderr.contains("no answer from"), output.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "the 5 s answer timeout plus start-up")
    }
}
