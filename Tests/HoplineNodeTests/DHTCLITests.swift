import Foundation
import HoplineDiscovery
import HoplineNet
import XCTest

/// The DHT commands as a user runs them, on loopback with a real `dhtnode` bootstrap node: `lookup` and
/// `dht status` find a listener, `call NODE-ID --dht-bootstrap` connects, a node ID only forged records
/// speak for is never called, and the errors without a bootstrap node say what to do.
final class DHTCLITests: CLITestCase {
    private var bootstrap: String!

    /// Starts `dhtnode -n 18508` on a random loopback port for this test.
    private func startBootstrap() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: DHTNamespaceTests.dhtnodePath), "dhtnode is not installed (apt-get install dhtnode)")
        let port = Int.random(in: 30_000..<50_000)
        let node = try ChildProcess.spawn(DHTNamespaceTests.dhtnodePath, ["-n", "18508", "-p", "\(port)", "-s"])
        addTeardownBlock { node.kill(); _ = node.collectOutput() }
        bootstrap = "127.0.0.1:\(port)"
    }

    /// A listener on loopback that published its presence; returns it and its node ID.
    private func startListener(_ name: String) throws -> (ChildProcess, String) {
        let listener = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "listen", "--identity", path("\(name).id"), "--bind", "127.0.0.1:0", "--dht-bootstrap", bootstrap,
            "--auto-answer", "--play", TestSupport.demoSample, "--no-speaker", "--no-status",
        ])
        addTeardownBlock { listener.kill(); _ = listener.collectOutput() }
        let id = try XCTUnwrap(CallTestSupport.waitForNodeID(listener))
        XCTAssertTrue(
            CallTestSupport.waitForText("DHT: presence record stored", inFile: listener.stderrPath, timeout: 30),
            (try? String(contentsOfFile: listener.stderrPath, encoding: .utf8)) ?? "")
        return (listener, id)
    }

    func testLookupAndStatusFindAListenerAndACallConnectsByNodeIDAlone() throws {
        try startBootstrap()
        let (_, id) = try startListener("b")
        let lookup = try TestSupport.runHopline(["lookup", id, "--dht-bootstrap", bootstrap])
        XCTAssertEqual(lookup.status, 0, lookup.stderr)
        XCTAssertTrue(lookup.stdout.contains("node        \(id)"), lookup.stdout)
        XCTAssertTrue(lookup.stdout.contains("candidates  host 127.0.0.1:"), lookup.stdout)
        XCTAssertTrue(lookup.stdout.contains("verified    signature by the key the node ID binds"), lookup.stdout)

        let status = try TestSupport.runHopline(["dht", "status", "--identity", path("b.id"), "--dht-bootstrap", bootstrap])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("bootstrap    \(bootstrap!): answered in"), status.stdout)
        XCTAssertTrue(status.stdout.contains("is findable: record"), status.stdout)
        XCTAssertTrue(status.stdout.contains("relays       0 in the directory"), status.stdout)
        XCTAssertTrue(status.stdout.contains("seen at      127.0.0.1\n"), status.stdout)
        XCTAssertTrue(status.stdout.contains("peers known  "), status.stdout)
        // Without an identity file it checks nothing about a node, and creates none.
        let anonymous = try TestSupport.runHopline(["dht", "status", "--identity", path("none.id"), "--dht-bootstrap", bootstrap])
        XCTAssertEqual(anonymous.status, 0, anonymous.stderr)
        XCTAssertTrue(anonymous.stdout.contains("this node    no identity at \(path("none.id"))"), anonymous.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("none.id")))

        let call = try TestSupport.runHopline([
            "call", id, "--dht-bootstrap", bootstrap, "--identity", path("a.id"), "--no-microphone", "--no-speaker",
            "--duration", "1", "--no-status",
        ])
        XCTAssertEqual(call.status, 0, call.stderr)
        XCTAssertTrue(call.stderr.contains("DHT: resolved \(id.prefix(16))"), call.stderr)
        XCTAssertTrue(call.stderr.contains("connected to"), call.stderr)
    }

    /// Mallory puts presence records for a node ID she does not hold (her own key claiming it, and a copy
    /// with an altered address): `lookup` and `call` reject both, by reason, and nothing is dialled.
    func testForgedRecordsNeverConnectACall() throws {
        try startBootstrap()
        let victim = NodeIdentity.generate(), mallory = NodeIdentity.generate()
        let runner = try DHTRunner(settings: DHTSettings())
        defer { runner.shutdown() }
        let node = try DHTBootstrapNode(parsing: bootstrap)
        XCTAssertEqual(runner.bootstrapAndWait(node, timeoutSeconds: 5), true)
        let now = WallClock.milliseconds()
        let body = PresenceRecord(candidates: [Candidate(kind: .host, address: try PeerAddress(parsing: "127.0.0.1:9"))]).body()
        var squatted = try DiscoveryRecord.signed(
            kind: .presence, by: mallory, sequence: now, issuedMilliseconds: now, lifetimeMilliseconds: 600_000, body: body)
        squatted.nodeID = victim.nodeID
        var altered = try DiscoveryRecord.signed(
            kind: .presence, by: victim, sequence: now, issuedMilliseconds: now, lifetimeMilliseconds: 600_000,
            body: PresenceRecord(candidates: []).body())
        altered.body = body
        let stale = try DiscoveryRecord.signed(
            kind: .presence, by: victim, sequence: now - 1, issuedMilliseconds: now - 700_000, lifetimeMilliseconds: 600_000, body: body)
        for record in [squatted, altered, stale] {
            XCTAssertEqual(try runner.putAndWait(record.serialized(), at: .presence(of: victim.nodeID), timeoutSeconds: 10), true)
        }
        let lookup = try TestSupport.runHopline(["lookup", victim.nodeID.description, "--dht-bootstrap", bootstrap])
        XCTAssertEqual(lookup.status, 1)
        XCTAssertTrue(
            lookup.stderr.contains("was not found in the DHT (3 value(s) at the key; rejected: badSignature 1, expired 1, keyNotBound 1)"),
            lookup.stderr)
        let call = try TestSupport.runHopline([
            "call", victim.nodeID.description, "--dht-bootstrap", bootstrap, "--identity", path("a.id"), "--no-microphone",
            "--no-speaker", "--no-status",
        ])
        XCTAssertEqual(call.status, 1)
        XCTAssertTrue(call.stderr.contains("was not found in the DHT: 3 value(s), none valid"), call.stderr)
        XCTAssertFalse(call.stderr.contains("calling"), "nothing was dialled: \(call.stderr)")
    }

    func testWithoutABootstrapNodeTheCommandsSayWhatToDo() throws {
        let id = NodeIdentity.generate().nodeID.description
        let call = try TestSupport.runHopline(["call", id, "--identity", path("a.id"), "--no-microphone", "--no-speaker", "--no-status"])
        XCTAssertEqual(call.status, 1)
        XCTAssertTrue(call.stderr.contains("by node ID needs --dht-bootstrap HOST:PORT or --rendezvous HOST:PORT"), call.stderr)
        let lookup = try TestSupport.runHopline(["lookup", id])
        XCTAssertEqual(lookup.status, 1)
        XCTAssertTrue(lookup.stderr.contains("hopline lookup needs a DHT bootstrap node: --dht-bootstrap HOST:PORT or [dht] bootstrap"), lookup.stderr)
        let bad = try TestSupport.runHopline(["lookup", id, "--dht-bootstrap", "nowhere"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--dht-bootstrap: invalid DHT bootstrap node 'nowhere': expected HOST:PORT"), bad.stderr)
        // A listener without one keeps working on its address and says so once.
        let listener = try ChildProcess.spawn(TestSupport.hoplineBinary, [
            "listen", "--identity", path("b.id"), "--bind", "127.0.0.1:0", "--no-microphone", "--no-speaker", "--no-status",
        ])
        defer { listener.kill(); _ = listener.collectOutput() }
        XCTAssertTrue(CallTestSupport.waitForText("discovery is off", inFile: listener.stderrPath, timeout: 30))
        let log = (try? String(contentsOfFile: listener.stderrPath, encoding: .utf8)) ?? ""
        XCTAssertEqual(log.components(separatedBy: "discovery is off").count, 2, log)
    }
}
