import HoplineNet
@testable import HoplineRelay
import NIOCore
import NIOPosix
import XCTest

/// The Prometheus endpoint and `relay status`'s reader: names, labels without addresses, values that follow
/// the counters, a readable table, and clear errors.
final class RelayMetricsTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!

    override func setUp() { group = MultiThreadedEventLoopGroup(numberOfThreads: 2) }
    override func tearDown() { try? group.syncShutdownGracefully() }

    func testEndpointServesTheCountersAndStatusReadsThemBack() throws {
        let relay = try RelayServer.bind(
            to: try PeerAddress(parsing: "127.0.0.1:0"), limits: RelayLimits(maxSessions: 50, allowLoopbackPeers: true), group: group)
        defer { relay.close() }
        let metrics = RelayMetrics(counters: relay.counters, capacity: relay.limits.maxSessions)
        let endpoint = try RelayMetricsEndpoint.start(at: try PeerAddress(parsing: "127.0.0.1:0"), group: group, render: metrics.render)
        defer { endpoint.close() }

        let alice = try UDPTestEndpoint(group: group)
        let bob = try UDPTestEndpoint(group: group)
        defer { alice.close(); bob.close() }
        guard case .joined(_, _, let token, _, _)? = try alice.allocate(
            at: relay.localAddress.socketAddress, caller: [UInt8](repeating: 1, count: 32), callee: [UInt8](repeating: 2, count: 32)),
            case .joined? = try bob.join(at: relay.localAddress.socketAddress, token: token)
        else { return XCTFail("no session") }
        let data = RelayPacket.dataHeader(channel: token.channel) + [UInt8](repeating: 0x80, count: 96)
        alice.send(data, to: relay.localAddress.socketAddress)
        XCTAssertEqual(bob.next(), data)
        bob.send(RelayPacket.dataHeader(channel: token.channel + 1), to: relay.localAddress.socketAddress)
        let marker = RelayPacket.dataHeader(channel: token.channel) + [1]
        bob.send(marker, to: relay.localAddress.socketAddress)
        XCTAssertEqual(alice.next(), marker)

        let text = try RelayStatusClient.fetchMetrics(from: endpoint.localAddress, group: group)
        for line in [
            "hopline_relay_sessions_active 1.0", "hopline_relay_sessions_capacity 50.0",
            #"hopline_relay_packets_total{result="forwarded"} 2"#,
            #"hopline_relay_packets_total{result="dropped_unknown_channel"} 1"#,
            #"hopline_relay_packets_total{result="dropped_unknown_source"} 0"#,
            "hopline_relay_bytes_forwarded_total 105", #"hopline_relay_refusals_total{reason="bad_cookie"} 0"#,
            "hopline_relay_rate_limited_total 0", "hopline_relay_cookies_issued_total 2",
        ] {
            XCTAssertTrue(text.contains(line + "\n"), "missing '\(line)' in:\n\(text)")
        }
        XCTAssertFalse(text.contains("127.0.0.1"), "a peer address leaked into the metrics")
        let report = RelayStatusReport(parsing: text)
        XCTAssertTrue(report.isRelay)
        let table = report.table(source: "\(endpoint.localAddress)")
        XCTAssertTrue(table.contains("sessions active       1 of 50"), table)
        XCTAssertTrue(table.contains("packets dropped       1  (unknown_channel 1)"), table)

        // Values follow the counters on the next scrape.
        alice.send(data, to: relay.localAddress.socketAddress)
        XCTAssertEqual(bob.next(), data)
        let again = RelayStatusReport(parsing: try RelayStatusClient.fetchMetrics(from: endpoint.localAddress, group: group))
        XCTAssertEqual(again.value("packets_total", "forwarded"), 3)
    }

    func testOtherPathsAre404AndSilenceIsAClearError() throws {
        let endpoint = try RelayMetricsEndpoint.start(at: try PeerAddress(parsing: "127.0.0.1:0"), group: group, render: { "x 1\n" })
        let address = endpoint.localAddress
        XCTAssertThrowsError(try RelayStatusClient.body(of: Array("HTTP/1.1 404 Not Found\r\n\r\nnope".utf8), from: "h:1")) {
            XCTAssertEqual("\($0)", "unexpected answer from h:1: HTTP status 'HTTP/1.1 404 Not Found' (expected 200)")
        }
        XCTAssertEqual(try RelayStatusClient.fetchMetrics(from: address, group: group), "x 1\n")
        XCTAssertThrowsError(try RelayMetricsEndpoint.start(at: address, group: group, render: { "" })) {
            XCTAssertEqual("\($0)", "\(address) is already in use")
        }
        endpoint.close()
        XCTAssertThrowsError(try RelayStatusClient.fetchMetrics(from: address, group: group)) {
            XCTAssertEqual("\($0)", "nothing is listening on \(address) (is `hopline relay --metrics \(address)` running?)")
        }
    }
}
