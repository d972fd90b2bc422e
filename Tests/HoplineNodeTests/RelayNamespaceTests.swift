import Foundation
import XCTest

/// Calls that only a volunteer relay can carry: caller and callee each behind a symmetric NAT (`masquerade
/// random`: hole punching cannot pass), a rendezvous and two `hopline relay` processes in the "public"
/// namespace between them. Real sockets, real NAT routers, real relays.
final class RelayNamespaceTests: CLITestCase {
    private struct Lab {
        let lab: NetworkNamespaces
        let hostA: String
        let routerA: String
        let relays: [ChildProcess]
        let callee: ChildProcess
        let calleeID: String
    }

    static let relayAddresses = ["10.77.1.1:4740", "10.77.2.1:4740"]

    /// Builds the topology, starts the rendezvous, both relays and the callee (auto-answer, plays the sample).
    private func startLab() throws -> Lab {
        let lab = try NetworkNamespaces(testCase: self)
        let (pub, hostA, hostB) = try lab.buildTwoNATs(symmetricA: true, symmetricB: true, scratch: directory)
        let rendezvous = try lab.spawn(in: pub, TestSupport.hoplineBinary, [
            "listen", "--identity", path("r.id"), "--bind", "0.0.0.0:4730", "--no-status", "--no-microphone", "--no-speaker",
        ])
        addTeardownBlock { rendezvous.kill(); _ = rendezvous.collectOutput() }
        XCTAssertNotNil(CallTestSupport.waitForNodeID(rendezvous))
        var relays: [ChildProcess] = []
        for (index, address) in Self.relayAddresses.enumerated() {
            // Each relay binds one address, so its answers leave from the address the nodes sent to.
            let relay = try lab.spawn(in: pub, TestSupport.hoplineBinary, [
                "relay", "--listen", address, "--identity", path("relay\(index).id"), "--no-status", "--drain-timeout", "2",
            ])
            addTeardownBlock { relay.kill(); _ = relay.collectOutput() }
            XCTAssertTrue(
                CallTestSupport.waitForText("relay listening on", inFile: relay.stdoutPath, timeout: 30),
                "relay \(index) did not start: \((try? String(contentsOfFile: relay.stderrPath, encoding: .utf8)) ?? "")")
            relays.append(relay)
        }
        let callee = try lab.spawn(in: hostB, TestSupport.hoplineBinary, [
            "listen", "--identity", path("b.id"), "--bind", "0.0.0.0:4730", "--rendezvous", "10.77.2.1:4730",
            "--auto-answer", "--play", TestSupport.demoSample, "--record", path("b.wav"), "--stats", path("b.jsonl"),
            "--no-status",
        ])
        addTeardownBlock { callee.kill(); _ = callee.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(callee))
        XCTAssertTrue(CallTestSupport.waitForText("registered at rendezvous", inFile: callee.stderrPath, timeout: 30))
        return Lab(lab: lab, hostA: hostA, routerA: "\(lab.prefix)-ra", relays: relays, callee: callee, calleeID: id)
    }

    private func startCaller(_ lab: Lab, seconds: Int) throws -> ChildProcess {
        try lab.lab.spawn(in: lab.hostA, TestSupport.hoplineBinary, [
            "call", lab.calleeID, "--rendezvous", "10.77.1.1:4730", "--relay", Self.relayAddresses[0], "--relay",
            Self.relayAddresses[1], "--identity", path("a.id"), "--play", TestSupport.demoSample, "--record", path("a.wav"),
            "--duration", "\(seconds)", "--stats", path("a.jsonl"), "--no-status",
        ])
    }

    private func statsLines(_ name: String) -> [[String: Any]] {
        ((try? String(contentsOfFile: path(name), encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Symmetric NATs both sides: the call connects through a relay and carries the audio both ways.
    /// Threshold 0.7 as in CallNamespaceTests (0.87-0.88 measured on a clean path).
    func testCallBetweenTwoSymmetricNATsGoesThroughAVolunteerRelay() throws {
        let lab = try startLab()
        let caller = try startCaller(lab, seconds: 4)
        let status = caller.wait(timeout: 40)
        let output = caller.collectOutput()
        XCTAssertEqual(status, 0, output.stderr)
        XCTAssertTrue(output.stderr.contains("(relay)"), output.stderr)
        XCTAssertTrue(CallTestSupport.waitForText("recorded", inFile: lab.callee.stderrPath, timeout: 10))
        let stats = CallTestSupport.lastStats(path("a.jsonl"))
        XCTAssertEqual(stats?["path"] as? String, "relay", output.stderr)
        XCTAssertTrue(Self.relayAddresses.contains(stats?["remote"] as? String ?? ""), "\(String(describing: stats))")
        let paths = stats?["paths"] as? [[String: Any]] ?? []
        XCTAssertEqual(paths.filter { $0["name"] as? String == "relay" && $0["alive"] as? Bool == true }.count, 2, "a warm standby")
        for recording in ["a.wav", "b.wav"] {
            let result = try CallTestSupport.match(referencePath: TestSupport.demoSample, recordedPath: path(recording), seconds: 3)
            XCTAssertGreaterThan(result.correlation, 0.7, "\(recording) does not hold the played audio")
        }
    }

    /// SIGKILL of the relay the call goes through: the call moves to the standby and goes on. The gap is
    /// the concealed audio both ends counted (20 ms frames) around the kill; the bound is the 300 ms
    /// plus one second-boundary of status sampling slack for the caller's own count.
    func testKillingTheActiveRelayMidCallMovesTheCallToTheStandby() throws {
        let lab = try startLab()
        let caller = try startCaller(lab, seconds: 6)
        XCTAssertTrue(CallTestSupport.waitForText("connected to", inFile: caller.stderrPath, timeout: 20))
        let deadline = Date().addingTimeInterval(10)
        var remote: String?
        while Date() < deadline {
            if let line = statsLines("a.jsonl").last, line["state"] as? String == "active", let address = line["remote"] as? String {
                remote = address
                break
            }
            usleep(50_000)
        }
        let active = try XCTUnwrap(remote)
        let index = try XCTUnwrap(Self.relayAddresses.firstIndex(of: active))
        Thread.sleep(forTimeInterval: 1)
        let concealedBefore = statsLines("a.jsonl").last?["framesConcealed"] as? Int ?? 0
        kill(lab.relays[index].pid, SIGKILL)
        let status = caller.wait(timeout: 30)
        let output = caller.collectOutput()
        XCTAssertEqual(status, 0, output.stderr)
        XCTAssertTrue(output.stderr.contains("path: now relay at \(Self.relayAddresses[1 - index])"), output.stderr)
        let final = statsLines("a.jsonl").last(where: { $0["framesConcealed"] != nil })
        let concealed = (final?["framesConcealed"] as? Int ?? 0) - concealedBefore
        XCTAssertLessThanOrEqual(concealed * 20, 300, "caller concealed \(concealed) frames across the failover: \(output.stderr)")
        XCTAssertGreaterThanOrEqual(final?["pathSwitches"] as? Int ?? 0, 1)
        let result = try CallTestSupport.match(referencePath: TestSupport.demoSample, recordedPath: path("a.wav"), seconds: 3)
        XCTAssertGreaterThan(result.correlation, 0.6, "the caller's recording lost more than the failover")
    }

    /// The caller's NAT forgets every mapping mid-call (`conntrack -F` on its router): its packets now leave
    /// from new public ports the relays do not know. It re-proves its relay sessions and the call goes on.
    func testANATMappingFlushMidCallKeepsTheCall() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/sbin/conntrack"), "conntrack is not installed")
        let lab = try startLab()
        let caller = try startCaller(lab, seconds: 6)
        XCTAssertTrue(CallTestSupport.waitForText("connected to", inFile: caller.stderrPath, timeout: 20))
        Thread.sleep(forTimeInterval: 2)
        try lab.lab.run(NetworkNamespaces.ipPath, ["netns", "exec", lab.routerA, "/usr/sbin/conntrack", "-F"])
        let status = caller.wait(timeout: 30)
        let output = caller.collectOutput()
        let calleeLog = (try? String(contentsOfFile: lab.callee.stderrPath, encoding: .utf8)) ?? ""
        XCTAssertEqual(status, 0, output.stderr + "\ncallee:\n" + calleeLog)
        XCTAssertTrue(CallTestSupport.waitForText("recorded", inFile: lab.callee.stderrPath, timeout: 10))
        // The callee kept hearing the caller after the flush: its last seconds are not silence.
        let calleeStats = statsLines("b.jsonl").filter { $0["state"] as? String == "active" }
        let lastReceived = calleeStats.last?["packetsReceived"] as? Int ?? 0
        let atFlush = calleeStats.dropLast(3).last?["packetsReceived"] as? Int ?? 0
        XCTAssertGreaterThan(lastReceived - atFlush, 60, "media resumed after the NAT flush: \(output.stderr)")
    }
}
