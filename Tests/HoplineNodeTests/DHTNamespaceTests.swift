import Foundation
import XCTest

/// Calls placed with nothing but a node ID and one DHT bootstrap node: `dhtnode -n 18508` in the "public"
/// namespace, each peer behind its own NAT router. Behind symmetric NATs the call goes through a volunteer
/// relay nobody configured (found in the DHT's relay directory); behind cone NATs it goes direct, punched
/// after a DHT introduction. No rendezvous runs anywhere.
final class DHTNamespaceTests: CLITestCase {
    static let dhtnodePath = "/usr/bin/dhtnode"

    private struct Lab {
        let lab: NetworkNamespaces
        let hostA: String
        let callee: ChildProcess
        let calleeID: String
    }

    /// The topology, the bootstrap node, optionally a relay announcing itself, and the callee (auto-answer).
    private func startLab(symmetric: Bool, relay: Bool) throws -> Lab {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.dhtnodePath), "dhtnode is not installed (apt-get install dhtnode)")
        let lab = try NetworkNamespaces(testCase: self)
        let (pub, hostA, hostB) = try lab.buildTwoNATs(symmetricA: symmetric, symmetricB: symmetric, scratch: directory)
        let bootstrap = try lab.spawn(in: pub, Self.dhtnodePath, ["-n", "18508", "-p", "4222", "-s"])
        addTeardownBlock { bootstrap.kill(); _ = bootstrap.collectOutput() }
        if relay {
            let relayProcess = try lab.spawn(in: pub, TestSupport.hoplineBinary, [
                "relay", "--listen", "10.77.1.1:4740", "--identity", path("relay.id"), "--no-status", "--drain-timeout", "1",
                "--dht-bootstrap", "10.77.1.1:4222",
            ])
            addTeardownBlock { relayProcess.kill(); _ = relayProcess.collectOutput() }
            XCTAssertTrue(
                CallTestSupport.waitForText("announced in the DHT relay directory", inFile: relayProcess.stdoutPath, timeout: 30),
                "relay: \((try? String(contentsOfFile: relayProcess.stdoutPath, encoding: .utf8)) ?? "")")
        }
        let callee = try lab.spawn(in: hostB, TestSupport.hoplineBinary, [
            "listen", "--identity", path("b.id"), "--bind", "0.0.0.0:4730", "--dht-bootstrap", "10.77.2.1:4222",
            "--auto-answer", "--play", TestSupport.demoSample, "--record", path("b.wav"), "--no-status",
        ])
        addTeardownBlock { callee.kill(); _ = callee.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(callee))
        // Peers report the router's public address to the callee's runner: its presence then carries the
        // server-reflexive candidate (router B's WAN address with the callee's port).
        XCTAssertTrue(
            CallTestSupport.waitForText("srflx 10.77.2.2:4730", inFile: callee.stderrPath, timeout: 30),
            (try? String(contentsOfFile: callee.stderrPath, encoding: .utf8)) ?? "")
        XCTAssertTrue(CallTestSupport.waitForText("DHT: presence record stored", inFile: callee.stderrPath, timeout: 30))
        return Lab(lab: lab, hostA: hostA, callee: callee, calleeID: id)
    }

    private func call(_ lab: Lab) throws -> (status: Int32?, stderr: String) {
        let caller = try lab.lab.spawn(in: lab.hostA, TestSupport.hoplineBinary, [
            "call", lab.calleeID, "--dht-bootstrap", "10.77.1.1:4222", "--identity", path("a.id"),
            "--play", TestSupport.demoSample, "--record", path("a.wav"), "--duration", "3", "--stats", path("a.jsonl"), "--no-status",
        ])
        let status = caller.wait(timeout: 40)
        return (status, caller.collectOutput().stderr)
    }

    func testSymmetricNATsConnectThroughARelayFoundInTheDHT() throws {
        let lab = try startLab(symmetric: true, relay: true)
        let (status, stderr) = try call(lab)
        let calleeLog = (try? String(contentsOfFile: lab.callee.stderrPath, encoding: .utf8)) ?? ""
        XCTAssertEqual(status, 0, stderr + "\ncallee:\n" + calleeLog)
        XCTAssertTrue(stderr.contains("DHT: relay directory lists 10.77.1.1:4740"), stderr)
        XCTAssertTrue(stderr.contains("(relay)"), stderr)
        XCTAssertTrue(calleeLog.contains("DHT: connection request from"), calleeLog)
        XCTAssertEqual(CallTestSupport.lastStats(path("a.jsonl"))?["path"] as? String, "relay")
        let result = try CallTestSupport.match(referencePath: TestSupport.demoSample, recordedPath: path("a.wav"), seconds: 2)
        XCTAssertGreaterThan(result.correlation, 0.7, "the caller heard the callee through the relay")
    }

    func testConeNATsConnectDirectlyAfterADHTIntroduction() throws {
        let lab = try startLab(symmetric: false, relay: false)
        let (status, stderr) = try call(lab)
        let calleeLog = (try? String(contentsOfFile: lab.callee.stderrPath, encoding: .utf8)) ?? ""
        XCTAssertEqual(status, 0, stderr + "\ncallee:\n" + calleeLog)
        XCTAssertTrue(stderr.contains("DHT: resolved"), stderr)
        XCTAssertTrue(stderr.contains("(direct)"), stderr)
        XCTAssertTrue(calleeLog.contains("DHT: connection request from"), calleeLog)
        XCTAssertEqual(CallTestSupport.lastStats(path("a.jsonl"))?["path"] as? String, "direct")
        XCTAssertEqual(CallTestSupport.lastStats(path("a.jsonl"))?["remote"] as? String, "10.77.2.2:4730", "through router B's public side")
        let result = try CallTestSupport.match(referencePath: TestSupport.demoSample, recordedPath: path("a.wav"), seconds: 2)
        XCTAssertGreaterThan(result.correlation, 0.7)
    }
}
