import Foundation
import HoplineNet
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A live relayed session between Alice and Bob on one bridge, and Mallory spraying the relay with real and
/// spoofed packets (TESTING.md's spoofed-source recipe: Mallory also holds Alice's and a victim's IP, and the
/// relay's neighbour entries for those IPs are pinned to the real owners' MACs, so every reply lands at the
/// real owner). Nothing Mallory sends reaches Alice or Bob, the relay's drop counters show it, and nftables
/// counters prove that no unauthenticated source got more bytes reflected than it sent.
final class RelaySprayNamespaceTests: CLITestCase {
    private let relayIP = "10.201.0.1", aliceIP = "10.201.0.2", bobIP = "10.201.0.3", malloryIP = "10.201.0.4", victimIP = "10.201.0.5"
    private let relayPort: UInt16 = 4740

    func testSprayedAndSpoofedPacketsReachNobodyAndReflectNoMoreThanTheyCost() throws {
        let lab = try NetworkNamespaces(testCase: self)
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft"), "nftables (nft) is not installed")
        let names = try lab.buildBridge(hosts: ["r", "a", "b", "m", "v"], subnet: "10.201.0")
        let (relayNS, aliceNS, bobNS, malloryNS, victimNS) = (names["r"]!, names["a"]!, names["b"]!, names["m"]!, names["v"]!)

        // Mallory also holds Alice's and the victim's IPs; the relay sends those IPs to their real owners.
        try lab.ip(["-n", malloryNS, "addr", "add", "\(aliceIP)/32", "dev", "\(lab.prefix)m"])
        try lab.ip(["-n", malloryNS, "addr", "add", "\(victimIP)/32", "dev", "\(lab.prefix)m"])
        for (ip, owner, tag) in [(aliceIP, aliceNS, "a"), (victimIP, victimNS, "v")] {
            let mac = try lab.mac(namespace: owner, interface: "\(lab.prefix)\(tag)")
            try lab.ip(["-n", relayNS, "neigh", "replace", ip, "lladdr", mac, "dev", "\(lab.prefix)r", "nud", "permanent"])
        }
        try lab.nft(malloryNS, ["add", "table", "inet", "hl"])
        try lab.nft(malloryNS, ["add", "chain", "inet", "hl", "out", "{", "type", "filter", "hook", "output", "priority", "0", ";", "}"])
        try lab.nft(malloryNS, ["add", "chain", "inet", "hl", "in", "{", "type", "filter", "hook", "input", "priority", "0", ";", "}"])
        for source in [malloryIP, aliceIP, victimIP] {
            try lab.nft(malloryNS, ["add", "rule", "inet", "hl", "out", "ip", "saddr", source, "ip", "daddr", relayIP, "udp", "dport", "\(relayPort)", "counter"])
        }
        try lab.nft(malloryNS, ["add", "rule", "inet", "hl", "in", "ip", "saddr", relayIP, "ip", "daddr", malloryIP, "counter"])
        for (namespace, exceptPort) in [(victimNS, nil), (aliceNS, UInt16(40_000)), (bobNS, UInt16(40_000))] as [(String, UInt16?)] {
            try lab.nft(namespace, ["add", "table", "inet", "hl"])
            try lab.nft(namespace, ["add", "chain", "inet", "hl", "in", "{", "type", "filter", "hook", "input", "priority", "0", ";", "}"])
            var rule = ["add", "rule", "inet", "hl", "in", "ip", "saddr", relayIP, "meta", "l4proto", "udp"]
            if let exceptPort { rule += ["udp", "dport", "!=", "\(exceptPort)"] }
            try lab.nft(namespace, rule + ["counter"])
        }

        let relay = try lab.spawn(in: relayNS, TestSupport.hoplineBinary, [
            "relay", "--listen", "\(relayIP):\(relayPort)", "--metrics", "\(relayIP):9740", "--no-status",
            "--identity", path("relay.id"),
        ])
        addTeardownBlock { relay.kill(); _ = relay.collectOutput() }
        XCTAssertTrue(CallTestSupport.waitForText("metrics at http://", inFile: relay.stdoutPath, timeout: 30), "the relay did not start")

        // The live session.
        let alice = try NamespacedUDPSocket(namespace: aliceNS, ip: aliceIP, port: 40_000)
        let bob = try NamespacedUDPSocket(namespace: bobNS, ip: bobIP, port: 40_000)
        let callerKey = [UInt8](repeating: 0xA1, count: 32), calleeKey = [UInt8](repeating: 0xB2, count: 32)
        let aliceCookie = try XCTUnwrap(cookie(alice))
        alice.send(RelayPacket.allocate(transaction: [UInt8](repeating: 1, count: 12), cookie: aliceCookie, caller: callerKey, callee: calleeKey)
            .serialized(), to: relayIP, port: relayPort)
        guard case .joined(_, _, let token, _, _)? = receive(alice, where: { if case .joined = $0 { true } else { false } }) else {
            return XCTFail("no JOINED for Alice")
        }
        let bobCookie = try XCTUnwrap(cookie(bob))
        bob.send(RelayPacket.join(transaction: [UInt8](repeating: 2, count: 12), cookie: bobCookie, side: .callee, token: token).serialized(),
                 to: relayIP, port: relayPort)
        XCTAssertNotNil(receive(bob, where: { if case .joined = $0 { true } else { false } }))
        let hello = RelayPacket.dataHeader(channel: token.channel) + [0x80, 0x6F, 1]
        alice.send(hello, to: relayIP, port: relayPort)
        XCTAssertEqual(receive(bob, where: { _ in true })?.serialized(), hello)

        // The spray: from Mallory's own address, from Alice's IP on another port, and from the victim's IP.
        let sources = [
            try NamespacedUDPSocket(namespace: malloryNS, ip: malloryIP, port: 40_000),
            try NamespacedUDPSocket(namespace: malloryNS, ip: aliceIP, port: 40_001),
            try NamespacedUDPSocket(namespace: malloryNS, ip: victimIP, port: 40_000),
        ]
        let transaction = [UInt8](repeating: 9, count: 12)
        var sent: [Int: Int] = [:]  // by kind (round % 8), over all three sources
        for round in 0..<300 {
            for source in sources {
                let datagram: [UInt8]
                switch round % 8 {
                case 0: datagram = RelayPacket.dataHeader(channel: token.channel) + [UInt8](repeating: 0x80, count: 160)
                case 1: datagram = RelayPacket.cookieRequest(transaction: transaction).serialized()
                case 2: datagram = RelayPacket.allocate(transaction: transaction, cookie: aliceCookie, caller: callerKey, callee: calleeKey).serialized()
                case 3: datagram = RelayPacket.join(transaction: transaction, cookie: aliceCookie, side: .caller, token: token).serialized()
                case 4: datagram = RelayPacket.leave(channel: token.channel).serialized()
                case 5: datagram = [0x41] + transaction  // an unpadded cookie request
                case 6:
                    let channel = UInt32(truncatingIfNeeded: round &* 7_919) & RelayPacket.maximumChannel
                    datagram = RelayPacket.dataHeader(channel: channel == token.channel ? channel ^ 1 : channel) + [1, 2, 3]
                default:
                    // Fixed garbage (no relay type byte, so the counts below stay exact): 0x80-0xBF looks like
                    // SRTP, 0x00-0x3F like STUN/DTLS, 0x50-0x5F like the node's control packets.
                    let first: [UInt8] = [0x80, 0x17, 0x54, 0x00]
                    datagram = [first[(round / 8) % 4]] + (0..<(round % 150)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ round) }
                }
                sent[round % 8, default: 0] += 1
                source.send(datagram, to: relayIP, port: relayPort)
            }
        }
        // A marker through the real session: everything sprayed before it has been processed.
        let marker = RelayPacket.dataHeader(channel: token.channel) + [0xEE]
        alice.send(marker, to: relayIP, port: relayPort)
        var atBob: [[UInt8]] = []
        // Wait for the marker (a loaded machine may hold the relay back for a while), then for 100 ms of silence.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !atBob.contains(marker) {
            if let datagram = bob.receive() { atBob.append(datagram) }
        }
        while let datagram = bob.receive() { atBob.append(datagram) }
        XCTAssertEqual(atBob, [marker], "Bob received something other than Alice's marker")
        XCTAssertNil(alice.receive(), "Alice received something")

        let counters = try settledCounters(lab, mallory: malloryNS, victim: victimNS, alice: aliceNS, bob: bobNS)
        let (fromMallory, fromAlicesIP, fromVictimsIP) = (counters.out[0], counters.out[1], counters.out[2])
        XCTAssertEqual(fromMallory.packets, 300)
        XCTAssertEqual(fromVictimsIP.packets, 300)
        XCTAssertLessThanOrEqual(counters.toMallory.bytes, fromMallory.bytes, "reflected to Mallory's own address")
        XCTAssertLessThanOrEqual(counters.toVictim.bytes, fromVictimsIP.bytes, "reflected to the victim")
        XCTAssertLessThanOrEqual(counters.toAliceOtherPorts.bytes, fromAlicesIP.bytes, "reflected to Alice's IP")
        XCTAssertEqual(counters.toBobOtherPorts.packets, 0)
        XCTAssertGreaterThan(counters.toVictim.packets, 0, "the recipe delivered no reply to the victim: the test proves nothing")
        print("relay spray: victim got \(counters.toVictim.bytes) B for \(fromVictimsIP.bytes) B spoofed; Mallory got \(counters.toMallory.bytes) B for \(fromMallory.bytes) B")

        let status = try lab.spawn(in: relayNS, TestSupport.hoplineBinary, ["relay", "status", "--raw", "--metrics", "\(relayIP):9740"])
        XCTAssertEqual(status.wait(timeout: 30), 0)
        let metrics = status.collectOutput().stdout
        // DATA and LEAVE on the live channel from addresses that are not its sides; ALLOCATE and JOIN with
        // Alice's cookie from other addresses. (The seeded random datagrams happen to hit neither.)
        XCTAssertTrue(metrics.contains(#"hopline_relay_packets_total{result="dropped_unknown_source"} "# + "\(sent[0]! + sent[4]!)\n"), metrics)
        XCTAssertTrue(metrics.contains(#"hopline_relay_packets_total{result="forwarded"} 2"#), metrics)
        XCTAssertTrue(metrics.contains("hopline_relay_sessions_active 1.0"), metrics)
        XCTAssertTrue(metrics.contains(#"hopline_relay_refusals_total{reason="bad_cookie"} "# + "\(sent[2]! + sent[3]!)\n"), metrics)
        XCTAssertTrue(metrics.contains(#"hopline_relay_packets_total{result="dropped_malformed"} "#), metrics)
    }

    // MARK: topology

    /// A bridge in namespace `sw` and one host namespace per tag (r, a, b, m, v) on it, at 10.201.0.1-5.
    /// A reply the relay cannot send (its own firewall refuses it: EPERM) is counted and dropped; the relay keeps
    /// answering others. (Sending through SwiftNIO, one such error closed the socket for good.)
    func testAnUnsendableReplyDoesNotDeafenTheRelay() throws {
        let lab = try NetworkNamespaces(testCase: self)
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft"), "nftables (nft) is not installed")
        let node = try lab.addNamespaceDroppingOutgoingUDP(toPort: 40_001, name: "n")
        let relay = try lab.spawn(in: node, TestSupport.hoplineBinary, [
            "relay", "--listen", "127.0.0.1:4740", "--allow-loopback-peers", "--no-status", "--identity", path("relay.id"),
        ])
        addTeardownBlock { relay.kill(); _ = relay.collectOutput() }
        XCTAssertTrue(CallTestSupport.waitForText("relay listening on", inFile: relay.stdoutPath, timeout: 30))
        let blocked = try NamespacedUDPSocket(namespace: node, ip: "127.0.0.1", port: 40_001)
        let open = try NamespacedUDPSocket(namespace: node, ip: "127.0.0.1", port: 40_002)
        let request = RelayPacket.cookieRequest(transaction: [UInt8](repeating: 3, count: 12)).serialized()
        for _ in 0..<3 { blocked.send(request, to: "127.0.0.1", port: 4740) }  // its cookies are refused: EPERM
        XCTAssertNil(blocked.receive())
        open.send(request, to: "127.0.0.1", port: 4740)
        guard let answer = open.receive(), case .cookie? = try? RelayPacket(parsing: answer) else {
            return XCTFail("the relay stopped answering after an unsendable datagram")
        }
    }

    // MARK: counters

    private struct Counters: Equatable {
        var out: [NFTCount], toMallory: NFTCount, toVictim: NFTCount, toAliceOtherPorts: NFTCount, toBobOtherPorts: NFTCount
    }

    /// Every nftables counter, read until two readings 200 ms apart agree (replies in flight have landed).
    private func settledCounters(_ lab: NetworkNamespaces, mallory: String, victim: String, alice: String, bob: String) throws -> Counters {
        func read() throws -> Counters {
            let malloryOut = try lab.nftCounts(mallory, chain: "out")
            return Counters(
                out: malloryOut, toMallory: try lab.nftCounts(mallory, chain: "in").first ?? NFTCount(),
                toVictim: try lab.nftCounts(victim, chain: "in").first ?? NFTCount(),
                toAliceOtherPorts: try lab.nftCounts(alice, chain: "in").first ?? NFTCount(),
                toBobOtherPorts: try lab.nftCounts(bob, chain: "in").first ?? NFTCount())
        }
        var previous = try read()
        for _ in 0..<25 {  // 5 s at most
            usleep(200_000)
            let now = try read()
            if now == previous { return now }
            previous = now
        }
        return previous
    }

    // MARK: client steps

    private func cookie(_ socket: NamespacedUDPSocket) -> [UInt8]? {
        socket.send(RelayPacket.cookieRequest(transaction: [UInt8](repeating: 7, count: 12)).serialized(), to: relayIP, port: relayPort)
        guard case .cookie(_, let cookie, _)? = receive(socket, where: { if case .cookie = $0 { true } else { false } }) else { return nil }
        return cookie
    }

    private func receive(_ socket: NamespacedUDPSocket, where predicate: (RelayPacket) -> Bool) -> RelayPacket? {
        for _ in 0..<50 {  // 100 ms each
            guard let bytes = socket.receive() else { continue }
            if let packet = try? RelayPacket(parsing: bytes), predicate(packet) { return packet }
        }
        return nil
    }
}
