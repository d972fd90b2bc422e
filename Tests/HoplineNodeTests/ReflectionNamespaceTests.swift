import Foundation
import HoplineNet
@testable import HoplineNode
import XCTest

/// Reflection through the rendezvous and the callee, tried as an attacker would (TESTING.md's spoofed-source
/// recipe): Mallory also holds the victim's IP on one bridge, the rendezvous and the callee send that IP to
/// the victim's MAC, and Mallory runs ordinary `hopline call NODE-ID --rendezvous R` bound to the victim's
/// address, plus raw lookups naming made-up candidates and raw bind and identity requests. nftables counts
/// what Mallory sent from the victim's address and what reached the victim: never more bytes or packets.
final class ReflectionNamespaceTests: CLITestCase {
    private let rendezvousIP = "10.202.0.1", calleeIP = "10.202.0.2", victimIP = "10.202.0.3", malloryIP = "10.202.0.4"

    func testNoRendezvousOrCalleeReflectsMoreToAVictimThanTheAttackerSent() throws {
        let lab = try NetworkNamespaces(testCase: self)
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft"), "nftables (nft) is not installed")
        let names = try lab.buildBridge(hosts: ["r", "b", "v", "m"], subnet: "10.202.0")
        let (rendezvousNS, calleeNS, victimNS, malloryNS) = (names["r"]!, names["b"]!, names["v"]!, names["m"]!)
        try lab.ip(["-n", malloryNS, "addr", "add", "\(victimIP)/32", "dev", "\(lab.prefix)m"])
        let victimMAC = try lab.mac(namespace: victimNS, interface: "\(lab.prefix)v")
        for (namespace, tag) in [(rendezvousNS, "r"), (calleeNS, "b")] {
            try lab.ip(["-n", namespace, "neigh", "replace", victimIP, "lladdr", victimMAC, "dev", "\(lab.prefix)\(tag)", "nud", "permanent"])
        }
        for (namespace, hook, match) in [(malloryNS, "output", ["ip", "saddr", victimIP]), (victimNS, "input", ["meta", "l4proto", "udp"])] {
            try lab.nft(namespace, ["add", "table", "inet", "hl"])
            try lab.nft(namespace, ["add", "chain", "inet", "hl", "c", "{", "type", "filter", "hook", hook, "priority", "0", ";", "}"])
            try lab.nft(namespace, ["add", "rule", "inet", "hl", "c"] + match + ["counter"])
        }

        let silent = ["--no-microphone", "--no-speaker", "--no-status"]
        let rendezvous = try lab.spawn(in: rendezvousNS, TestSupport.hoplineBinary, [
            "listen", "--identity", path("r.id"), "--bind", "\(rendezvousIP):4730", "--stats", path("r.jsonl"),
        ] + silent)
        addTeardownBlock { rendezvous.kill(); _ = rendezvous.collectOutput() }
        XCTAssertNotNil(CallTestSupport.waitForNodeID(rendezvous))
        let callee = try lab.spawn(in: calleeNS, TestSupport.hoplineBinary, [
            "listen", "--identity", path("b.id"), "--bind", "\(calleeIP):4730", "--rendezvous", "\(rendezvousIP):4730",
            "--auto-answer", "--stats", path("b.jsonl"),
        ] + silent)
        addTeardownBlock { callee.kill(); _ = callee.collectOutput() }
        let calleeID = try XCTUnwrap(CallTestSupport.waitForNodeID(callee))
        XCTAssertTrue(CallTestSupport.waitForText("registered at rendezvous", inFile: callee.stderrPath, timeout: 10))

        // Two ordinary calls from the victim's address: the rendezvous' cookie goes to the victim, so they
        // never get further (each gives up after its 3 s).
        for attempt in 0..<2 {
            let call = try lab.spawn(in: malloryNS, TestSupport.hoplineBinary, [
                "call", calleeID, "--rendezvous", "\(rendezvousIP):4730", "--bind", "\(victimIP):\(5_000 + attempt)",
                "--identity", path("m.id"),
            ] + silent)
            XCTAssertEqual(call.wait(timeout: 30), 1)
            let output = call.collectOutput()
            XCTAssertTrue(output.stderr.contains("did not answer"), output.stderr)
        }
        // Raw packets from the victim's address: lookups naming eight made-up candidates (without a cookie, and
        // with a forged one), unpadded bind and identity requests, and padded ones (answered, never larger).
        let socket = try NamespacedUDPSocket(namespace: malloryNS, ip: victimIP, port: 6_000)
        let target = try NodeID(parsing: calleeID).publicKey
        let madeUp = (1...8).map { Candidate(kind: .host, address: try! PeerAddress(parsing: "10.202.0.\(100 + $0):4730")) }
        for round in 0..<20 {
            let transaction = [UInt8](repeating: UInt8(round), count: 12)
            let cookie = round % 2 == 0 ? ControlPacket.noCookie : [UInt8](repeating: 0x42, count: 16)
            for destination in [rendezvousIP, calleeIP] {
                socket.send(ControlPacket.rendezvousLookup(
                    transaction: transaction, cookie: cookie, target: target, session: 7, candidates: madeUp).serialized(),
                    to: destination, port: 4730)
                socket.send([ControlPacketType.bindRequest.rawValue] + transaction, to: destination, port: 4730)
                socket.send([ControlPacketType.identityRequest.rawValue] + transaction, to: destination, port: 4730)
                socket.send(ControlPacket.identityRequest(transaction: transaction).serialized(), to: destination, port: 4730)
                socket.send(ControlPacket.connectivityCheck(transaction: transaction, session: 7).serialized(), to: destination, port: 4730)
            }
        }

        // Read until two readings 300 ms apart agree (every reply has landed).
        func read() throws -> (sent: NFTCount, reflected: NFTCount) {
            (try lab.nftCounts(malloryNS, chain: "c").first ?? NFTCount(), try lab.nftCounts(victimNS, chain: "c").first ?? NFTCount())
        }
        var reading = try read()
        for _ in 0..<20 {
            usleep(300_000)
            let next = try read()
            if next == reading { break }
            reading = next
        }
        print("reflection: the victim got \(reading.reflected.packets) packets / \(reading.reflected.bytes) B for "
            + "\(reading.sent.packets) packets / \(reading.sent.bytes) B sent from its address")
        XCTAssertGreaterThan(reading.sent.packets, 200)
        XCTAssertLessThanOrEqual(reading.reflected.bytes, reading.sent.bytes)
        XCTAssertLessThanOrEqual(reading.reflected.packets, reading.sent.packets)
        // The callee was never introduced to the victim, so it punched nothing toward it.
        XCTAssertFalse(
            ((try? String(contentsOfFile: callee.stderrPath, encoding: .utf8)) ?? "").contains("introduces"),
            "an unproven lookup reached the callee")
        Thread.sleep(forTimeInterval: 1.1)
        let stats = CallTestSupport.lastStats(path("r.jsonl"))
        XCTAssertGreaterThanOrEqual((stats?["rendezvous"] as? [String: Any])?["cookieChallenges"] as? Int ?? 0, 20)
        XCTAssertEqual((stats?["rendezvous"] as? [String: Any])?["introductions"] as? Int, 0)
        XCTAssertGreaterThanOrEqual(CallTestSupport.counter(stats, "unpaddedRequests"), 40)
    }
}
