import Dispatch
import HoplineCore
import HoplineNet
import NIOPosix
import XCTest

/// The impairment proxy on real UDP sockets on 127.0.0.1: a client socket sends through the proxy to a server
/// socket, which echoes every datagram back to its source (the proxy), which returns it to the client.
final class ImpairmentProxyTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var client: UDPTransport!
    private var server: UDPTransport!
    private let clientInbox = DatagramInbox()
    private let serverInbox = DatagramInbox()
    private let clock = UptimeClock()

    override func setUpWithError() throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let any = try PeerAddress(parsing: "127.0.0.1:0")
        let clientInbox = self.clientInbox, serverInbox = self.serverInbox
        client = try UDPTransport.bind(to: any, group: group, clock: clock) { clientInbox.push($0) }
        server = try UDPTransport.bind(to: any, group: group, clock: clock) { serverInbox.push($0) }
    }

    override func tearDownWithError() throws {
        client?.close()
        server?.close()
        try group?.syncShutdownGracefully()
    }

    private func startProxy(_ text: String, impairReplies: Bool = true, mediaOnly: Bool = false) throws -> ImpairmentProxy {
        try ImpairmentProxy.start(
            listen: PeerAddress(parsing: "127.0.0.1:0"), forward: server.localAddress,
            spec: ImpairmentSpec(parsing: text), impairReplies: impairReplies, mediaOnly: mediaOnly, group: group)
    }

    /// Waits (at most `seconds`) until `inbox` has given `count` datagrams; returns what came.
    private func collect(_ inbox: DatagramInbox, count: Int, seconds: Double = 5) -> [InboundDatagram] {
        var received: [InboundDatagram] = []
        let deadline = MonotonicDeadline(seconds: seconds)
        while received.count < count && !deadline.passed {
            received += inbox.waitAndDrain(timeoutNanoseconds: 50_000_000)
        }
        return received
    }

    /// Echoes every datagram the server got back to where it came from (the proxy's forwarding socket).
    private func echo(_ datagrams: [InboundDatagram]) {
        for datagram in datagrams { server.send(datagram.bytes, to: datagram.source) }
    }

    private func send(_ count: Int, through proxy: ImpairmentProxy) {
        for index in 0..<count { client.send([UInt8(index >> 8), UInt8(index & 0xFF), 0xAB], to: proxy.listenAddress) }
    }

    private func indices(_ datagrams: [InboundDatagram]) -> [Int] {
        datagrams.map { Int($0.bytes[0]) << 8 | Int($0.bytes[1]) }
    }

    func testCleanSpecForwardsEverythingBothWays() throws {
        let proxy = try startProxy("clean")
        defer { proxy.close() }
        XCTAssertNotEqual(proxy.listenAddress.port, 0)
        send(100, through: proxy)
        let atServer = collect(serverInbox, count: 100)
        XCTAssertEqual(indices(atServer), Array(0..<100))
        XCTAssertEqual(atServer.first?.source.port, proxy.upstreamAddress.port)
        echo(atServer)
        let atClient = collect(clientInbox, count: 100)
        XCTAssertEqual(indices(atClient), Array(0..<100))
        XCTAssertEqual(atClient.first?.source, proxy.listenAddress)
        var expected = ImpairmentDirectionStatistics()
        expected.received = 100
        expected.forwarded = 100
        XCTAssertEqual(proxy.statistics.clientToForward, expected)
        XCTAssertEqual(proxy.statistics.forwardToClient, expected)
    }

    func testFullLossDropsEverything() throws {
        let proxy = try startProxy("loss=100%")
        defer { proxy.close() }
        send(100, through: proxy)
        XCTAssertTrue(collect(serverInbox, count: 1, seconds: 0.3).isEmpty)
        let deadline = MonotonicDeadline(seconds: 5)
        while proxy.statistics.clientToForward.dropped < 100 && !deadline.passed { usleep(10_000) }
        XCTAssertEqual(proxy.statistics.clientToForward.received, 100)
        XCTAssertEqual(proxy.statistics.clientToForward.dropped, 100)
        XCTAssertEqual(proxy.statistics.clientToForward.forwarded, 0)
    }

    func testMediaOnlyImpairsRTPAloneAndCountsOnlyItsPackets() throws {
        // Full loss, media only: RTP (0x80, payload type 120) is dropped both ways; a control packet (0x52:
        // sealed signaling) and RTCP (0x80, 200: a sender report) pass untouched.
        let proxy = try startProxy("loss=100%", mediaOnly: true)
        defer { proxy.close() }
        for index in 0..<5 {
            client.send([0x80, 120, UInt8(index)], to: proxy.listenAddress)
            client.send([0x52, 0, UInt8(index)], to: proxy.listenAddress)
            client.send([0x80, 200, UInt8(index)], to: proxy.listenAddress)
        }
        let atServer = collect(serverInbox, count: 10)
        XCTAssertEqual(atServer.count, 10)
        XCTAssertEqual(Set(atServer.map { $0.bytes[0] }), [0x52, 0x80])
        XCTAssertFalse(atServer.contains { $0.bytes[1] == 120 }, "an RTP media packet got through")
        echo(atServer)
        XCTAssertEqual(collect(clientInbox, count: 10).count, 10)
        server.send([0x80, 120, 9], to: proxy.upstreamAddress)
        XCTAssertTrue(collect(clientInbox, count: 1, seconds: 0.3).isEmpty)
        XCTAssertEqual(proxy.statistics.clientToForward.dropped, 5)
        XCTAssertEqual(proxy.statistics.clientToForward.forwarded, 10)
    }

    func testMediaOnlyGivesTheNthMediaPacketTheNthFate() throws {
        // Control packets between media packets must not move the draws: the same media packets are lost with
        // and without them (seeded loss of 50 %).
        func lostMedia(withControl: Bool) throws -> [Int] {
            let proxy = try startProxy("loss=50%,seed=3", mediaOnly: true)
            defer { proxy.close() }
            for index in 0..<40 {
                if withControl { client.send([0x52, 0, 0], to: proxy.listenAddress) }
                client.send([0x80, 120, UInt8(index)], to: proxy.listenAddress)
            }
            let deadline = MonotonicDeadline(seconds: 5)
            while proxy.statistics.clientToForward.received < (withControl ? 80 : 40) && !deadline.passed { usleep(10_000) }
            let media = collect(serverInbox, count: withControl ? 80 : 40, seconds: 1).filter { $0.bytes[0] == 0x80 }
            let arrived = Set(media.map { Int($0.bytes[2]) })
            return (0..<40).filter { !arrived.contains($0) }
        }
        let plain = try lostMedia(withControl: false)
        XCTAssertGreaterThan(plain.count, 5)
        XCTAssertLessThan(plain.count, 35)
        XCTAssertEqual(try lostMedia(withControl: true), plain)
    }

    func testDelayHoldsEachDatagramFiftyMillisecondsEachWay() throws {
        // The delay is a lower bound the proxy must keep; the upper bounds only catch a proxy that hangs (a
        // loaded 2-core machine can add tens of ms).
        let proxy = try startProxy("delay=50ms")
        defer { proxy.close() }
        for index in 0..<10 {
            let sent = clock.now()
            client.send([0, UInt8(index), 0xAB], to: proxy.listenAddress)
            let atServer = collect(serverInbox, count: 1)
            XCTAssertEqual(indices(atServer), [index])
            guard let arrival = atServer.first?.arrival else { continue }
            XCTAssertGreaterThanOrEqual(arrival.milliseconds(since: sent), 45, "client -> server, datagram \(index)")
            XCTAssertLessThan(arrival.milliseconds(since: sent), 500)
            echo(atServer)
            let atClient = collect(clientInbox, count: 1)
            guard let back = atClient.first?.arrival else { XCTFail("no reply \(index)"); continue }
            XCTAssertGreaterThanOrEqual(back.milliseconds(since: sent), 95, "round trip, datagram \(index)")
            XCTAssertLessThan(back.milliseconds(since: sent), 1_000)
        }
    }

    func testDuplicationDoublesEachDirectionUnlessOneWay() throws {
        let both = try startProxy("dup=100%")
        send(20, through: both)
        let atServer = collect(serverInbox, count: 40)
        XCTAssertEqual(indices(atServer).sorted(), (0..<20).flatMap { [$0, $0] })
        echo(atServer)
        XCTAssertEqual(collect(clientInbox, count: 80).count, 80)
        XCTAssertEqual(both.statistics.clientToForward.duplicated, 20)
        XCTAssertEqual(both.statistics.forwardToClient.duplicated, 40)
        both.close()

        let oneWay = try startProxy("dup=100%", impairReplies: false)
        defer { oneWay.close() }
        send(20, through: oneWay)
        let atServerOneWay = collect(serverInbox, count: 40)
        XCTAssertEqual(atServerOneWay.count, 40)
        echo(atServerOneWay)
        XCTAssertEqual(collect(clientInbox, count: 40).count, 40)
        XCTAssertTrue(collect(clientInbox, count: 1, seconds: 0.2).isEmpty, "one-way: replies are not duplicated")
        XCTAssertEqual(oneWay.statistics.forwardToClient.duplicated, 0)
    }

    func testSameSeedDropsTheSameDatagramsOnEveryRun() throws {
        func survivors(_ text: String) throws -> Set<Int> {
            let proxy = try startProxy(text)
            defer { proxy.close() }
            send(300, through: proxy)
            let deadline = MonotonicDeadline(seconds: 5)
            while proxy.statistics.clientToForward.received < 300 && !deadline.passed { usleep(5_000) }
            let expected = 300 - proxy.statistics.clientToForward.dropped
            return Set(indices(collect(serverInbox, count: expected)))
        }
        let first = try survivors("loss=30%,seed=9")
        let second = try survivors("loss=30%,seed=9")
        XCTAssertEqual(first, second)
        // And exactly the ones the model says: fate depends only on the datagram's index.
        var model = ImpairmentModel(spec: try ImpairmentSpec(parsing: "loss=30%,seed=9"))
        let predicted = Set((0..<300).filter { _ in !model.fate(ofPacketSentAt: .zero).isLost })
        XCTAssertEqual(first, predicted)
        XCTAssertNotEqual(try survivors("loss=30%,seed=10"), first)
    }

    func testStrayDatagramsAreCountedAndDropped() throws {
        let proxy = try startProxy("clean")
        defer { proxy.close() }
        // A reply before any client has sent has nowhere to go.
        let upstream = try PeerAddress(parsing: "127.0.0.1:\(proxy.upstreamAddress.port)")
        server.send([1], to: upstream)
        // A datagram on the forwarding socket from someone other than the forward address.
        client.send([2], to: upstream)
        let deadline = MonotonicDeadline(seconds: 5)
        while proxy.statistics.forwardToClient.unroutable < 2 && !deadline.passed { usleep(5_000) }
        XCTAssertEqual(proxy.statistics.forwardToClient.unroutable, 2)
        XCTAssertEqual(proxy.statistics.forwardToClient.forwarded, 0)
        XCTAssertTrue(collect(clientInbox, count: 1, seconds: 0.2).isEmpty)
    }

    func testBindFailureNamesTheAddress() throws {
        XCTAssertThrowsError(
            try ImpairmentProxy.start(
                listen: PeerAddress(parsing: "192.0.2.1:9"), forward: server.localAddress, spec: .clean, group: group)
        ) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot bind UDP socket to 192.0.2.1:9"), "\(error)")
        }
    }
}

/// The monotonic clock NIO schedules on, for timing datagrams in tests.
private struct UptimeClock: MediaClock {
    func now() -> ClockInstant { ClockInstant(nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds)) }

    func sleep(until deadline: ClockInstant) {
        for _ in 0..<100_000 where now() < deadline { usleep(1_000) }
    }
}
