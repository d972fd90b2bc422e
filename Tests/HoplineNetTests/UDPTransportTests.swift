import Foundation
import HoplineCore
import HoplineNet
import NIOPosix
import Synchronization
import XCTest

final class UDPTransportTests: XCTestCase {
    func testDatagramsTravelBetweenRealSockets() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let clock = VirtualClock(start: .milliseconds(7))
        let inbox = DatagramInbox()
        let any = try PeerAddress(parsing: "127.0.0.1:0")
        let receiver = try UDPTransport.bind(to: any, group: group, clock: clock) { inbox.push($0) }
        defer { receiver.close() }
        let sender = try UDPTransport.bind(to: any, group: group, clock: clock) { _ in }
        defer { sender.close() }
        XCTAssertNotEqual(receiver.localAddress.port, 0)

        for index in 0..<50 { sender.send([UInt8(index), 1, 2, 3], to: receiver.localAddress) }
        var received: [InboundDatagram] = []
        let deadline = MonotonicDeadline(seconds: 5)
        while received.count < 50 && !deadline.passed {
            received += inbox.waitAndDrain(timeoutNanoseconds: 100_000_000)
        }
        XCTAssertEqual(received.map { Int($0.bytes[0]) }, Array(0..<50))
        XCTAssertEqual(received.first?.source, sender.localAddress)
        XCTAssertEqual(received.first?.arrival, .milliseconds(7))
        XCTAssertEqual(sender.statistics.datagramsSent, 50)
        XCTAssertEqual(receiver.statistics.datagramsReceived, 50)
    }

    func testBindingAnAddressInUseFailsClearly() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        XCTAssertThrowsError(
            try UDPTransport.bind(to: PeerAddress(parsing: "192.0.2.1:9"), group: group, clock: VirtualClock()) { _ in }
        ) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot bind UDP socket to 192.0.2.1:9"), "\(error)")
        }
    }

    func testInboxIsBoundedAndCountsDrops() throws {
        let inbox = DatagramInbox(capacity: 3)
        let source = try PeerAddress(parsing: "127.0.0.1:1")
        for _ in 0..<5 { inbox.push(InboundDatagram(bytes: [1], source: source, arrival: .zero)) }
        XCTAssertEqual(inbox.drain().count, 3)
        XCTAssertEqual(inbox.dropped, 2)
        XCTAssertTrue(inbox.waitAndDrain(timeoutNanoseconds: 1_000_000).isEmpty)
    }

    /// A datagram queued without waking (a call's media) is taken with the next one that wakes the consumer,
    /// in order, and does not stop that one from waking it.
    func testAQuietDatagramWaitsForTheNextWakeUpAndDoesNotSwallowIt() throws {
        let inbox = DatagramInbox()
        let source = try PeerAddress(parsing: "127.0.0.1:1")
        let taken = Mutex<[UInt8]?>(nil)
        let consumer = Thread {
            let datagrams = inbox.waitAndDrain(timeoutNanoseconds: 20_000_000_000)
            taken.withLock { $0 = datagrams.map { $0.bytes[0] } }
        }
        consumer.start()
        inbox.push(InboundDatagram(bytes: [1], source: source, arrival: .zero), wakesConsumer: false)
        inbox.push(InboundDatagram(bytes: [2], source: source, arrival: .zero))
        let deadline = MonotonicDeadline(seconds: 10)
        while taken.withLock({ $0 }) == nil, !deadline.passed { usleep(1_000) }
        XCTAssertEqual(taken.withLock { $0 }, [1, 2], "woken long before its 20 s timeout, with both datagrams")
        // After the drain a quiet datagram alone is still there for the next drain.
        inbox.push(InboundDatagram(bytes: [3], source: source, arrival: .zero), wakesConsumer: false)
        XCTAssertEqual(inbox.waitAndDrain(timeoutNanoseconds: 1_000_000).map { $0.bytes[0] }, [3])
    }
}

/// A wall-clock deadline for bounding waits in tests.
struct MonotonicDeadline {
    private let end: DispatchTime
    init(seconds: Double) { end = .now() + seconds }
    var passed: Bool { DispatchTime.now() > end }
}

/// A port is one node's: no SO_REUSEADDR, so a second bind fails clearly instead of sharing the packets.
final class UDPTransportPortTests: XCTestCase {
    func testASecondTransportOnATakenPortFailsWithAddressInUse() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let first = try UDPTransport.bind(to: try PeerAddress(parsing: "127.0.0.1:0"), group: group, clock: VirtualClock()) { _ in }
        defer { first.close() }
        let taken = first.localAddress
        XCTAssertThrowsError(try UDPTransport.bind(to: taken, group: group, clock: VirtualClock()) { _ in }) { error in
            XCTAssertEqual(error as? TransportError, .addressInUse(address: "\(taken)"))
            XCTAssertTrue("\(error)".hasPrefix("\(taken) is already in use"), "\(error)")
        }
    }
}
