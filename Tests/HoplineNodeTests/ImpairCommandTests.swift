import Foundation
import HoplineCore
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `hopline impair` as a separate process: a proxy between this test's UDP sockets on 127.0.0.1.
final class ImpairCommandTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: TestSupport.hoplineBinary),
            "build the CLI first: swift build --build-tests")
    }

    /// Starts `hopline impair` forwarding to `forwardPort`, waits for its `listening on` line, returns the
    /// child and the port it listens on. The caller stops it.
    private func startImpair(forwardPort: UInt16, _ extra: [String]) throws -> (ChildProcess, UInt16) {
        let child = try ChildProcess.spawn(
            TestSupport.hoplineBinary,
            ["impair", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:\(forwardPort)"] + extra)
        for _ in 0..<400 {  // 20 s at most: a loaded machine is slow to start a debug binary.
            let output = (try? String(contentsOfFile: child.stdoutPath, encoding: .utf8)) ?? ""
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("listening on 127.0.0.1:") }) {
                let port = line.dropFirst("listening on 127.0.0.1:".count).prefix { $0.isNumber }
                if let port = UInt16(port) { return (child, port) }
            }
            var status: Int32 = 0
            if waitpid(child.pid, &status, WNOHANG) == child.pid {
                let output = child.collectOutput()
                throw TestFailure("hopline impair exited early: \(output.stderr)\(output.stdout)")
            }
            usleep(50_000)
        }
        child.kill()
        _ = child.collectOutput()
        throw TestFailure("hopline impair printed no 'listening on' line within 20 s")
    }

    /// Sends SIGTERM and returns the exit status and output.
    private func stop(_ child: ChildProcess) -> (status: Int32?, stdout: String, stderr: String) {
        Glibc.kill(child.pid, SIGTERM)
        let status = child.wait(timeout: 10)
        let output = child.collectOutput()
        return (status, output.stdout, output.stderr)
    }

    func testForwardsBothWaysBetweenProcessesAndReportsCounters() throws {
        let client = try UDPTestSocket(), server = try UDPTestSocket()
        let (child, proxyPort) = try startImpair(
            forwardPort: server.port, ["--impair", "delay=20ms,seed=3", "--stats-interval", "0.2"])
        var result: (status: Int32?, stdout: String, stderr: String)?
        defer { if result == nil { child.kill(); _ = child.collectOutput() } }

        for index in 0..<50 { client.send([UInt8(index), 0x5A], toPort: proxyPort) }
        var atServer: [(bytes: [UInt8], port: UInt16)] = []
        for _ in 0..<100 where atServer.count < 50 {  // each receive waits at most 100 ms
            if let datagram = server.receive() { atServer.append(datagram) }
        }
        XCTAssertEqual(atServer.map { Int($0.bytes[0]) }, Array(0..<50))
        for datagram in atServer { server.send(datagram.bytes, toPort: datagram.port) }
        var atClient: [(bytes: [UInt8], port: UInt16)] = []
        for _ in 0..<100 where atClient.count < 50 {
            if let datagram = client.receive() { atClient.append(datagram) }
        }
        XCTAssertEqual(atClient.map { Int($0.bytes[0]) }, Array(0..<50))
        XCTAssertEqual(atClient.first?.port, proxyPort, "replies come from the proxy's listening port")
        usleep(500_000)  // at least two status lines at 0.2 s

        result = stop(child)
        guard let result else { return }
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("impairment delay=20ms,seed=3 (both directions)"), result.stdout)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.filter { $0.contains(" s  client->forward: ") }.count, 2, result.stdout)
        let final = try XCTUnwrap(lines.last { $0.hasPrefix("final on SIGTERM") }, result.stdout)
        XCTAssertTrue(final.contains("client->forward: received 50, forwarded 50, dropped 0, duplicated 0"), String(final))
        XCTAssertTrue(final.contains("forward->client: received 50, forwarded 50, dropped 0, duplicated 0"), String(final))
    }

    func testSameSeedDropsTheSameDatagramsInEveryProcessAndDurationEndsTheRun() throws {
        func survivors(_ spec: String) throws -> Set<Int> {
            let client = try UDPTestSocket(), server = try UDPTestSocket()
            let (child, proxyPort) = try startImpair(
                forwardPort: server.port, ["--impair", spec, "--one-way", "--duration", "3", "--stats-interval", "0"])
            var exited = false
            defer { if !exited { child.kill(); _ = child.collectOutput() } }
            for index in 0..<200 { client.send([UInt8(index >> 8), UInt8(index & 0xFF)], toPort: proxyPort) }
            var received: Set<Int> = []
            while let datagram = server.receive() {  // ends 100 ms after the last datagram; at most 200 of them
                received.insert(Int(datagram.bytes[0]) << 8 | Int(datagram.bytes[1]))
                if received.count == 200 { break }
            }
            let status = child.wait(timeout: 20)  // --duration 3 ends it on its own
            exited = status != nil
            let output = child.collectOutput()
            XCTAssertEqual(status, 0, output.stderr)
            XCTAssertTrue(output.stdout.contains("final after --duration"), output.stdout)
            XCTAssertTrue(output.stdout.contains("(client->forward only)"), output.stdout)
            XCTAssertTrue(output.stdout.contains("forwarded \(received.count), dropped \(200 - received.count)"), output.stdout)
            return received
        }
        let first = try survivors("loss3,loss=30%,seed=21")
        XCTAssertEqual(try survivors("loss3,loss=30%,seed=21"), first)
        var model = ImpairmentModel(spec: try ImpairmentSpec(parsing: "loss=30%,seed=21"))
        XCTAssertEqual(first, Set((0..<200).filter { _ in !model.fate(ofPacketSentAt: .zero).isLost }))
    }

    func testHelpShowsTheGrammarAndEveryPresetsExactParameters() throws {
        let result = try TestSupport.runHopline(["impair", "--help"])
        XCTAssertEqual(result.status, 0, result.stderr)
        for key in ImpairmentSpec.keys { XCTAssertTrue(result.stdout.contains("  \(key)="), "help lacks \(key)") }
        // Long parameter lists wrap after a comma onto an indented line.
        let unwrapped = result.stdout.replacing(/,\n +/, with: ",")
        for preset in ImpairmentSpec.presets {
            XCTAssertTrue(unwrapped.contains(preset.spec.description), "help lacks \(preset.name): \(preset.spec.description)")
        }
    }

    func testBadArgumentsFailWithOneLineNamingTheProblem() throws {
        let cases: [([String], String)] = [
            (["--impair", "los=5%"], "unknown impairment key 'los' in 'los=5%'"),
            (["--impair", "loss=200%"], "invalid impairment value '200%' for 'loss'"),
            (["--forward", "localhost:9"], "invalid address 'localhost:9'"),
            (["--listen", "192.0.2.1:9"], "cannot bind UDP socket to 192.0.2.1:9"),
        ]
        for (arguments, message) in cases {
            var full = ["impair", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:9", "--duration", "1"]
            for pair in stride(from: 0, to: arguments.count, by: 2) {
                if let index = full.firstIndex(of: arguments[pair]) {
                    full[index + 1] = arguments[pair + 1]
                } else {
                    full += [arguments[pair], arguments[pair + 1]]
                }
            }
            let result = try TestSupport.runHopline(full, timeout: 20)
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
    }
}

private struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A blocking UDP socket on 127.0.0.1 with a 100 ms receive timeout: the test's client and server.
/// `@unchecked Sendable`: the descriptor never changes, and sendto/recvfrom on one socket are thread-safe.
final class UDPTestSocket: @unchecked Sendable {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
        var address = UDPTestSocket.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw TestFailure("bind(127.0.0.1:0) failed: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8], toPort port: UInt16) {
        var address = UDPTestSocket.loopback(port: port)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, bytes.count, 0, target, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    /// One datagram and its source port, or nil after 100 ms without one.
    func receive() -> (bytes: [UInt8], port: UInt16)? {
        var buffer = [UInt8](repeating: 0, count: 2_048)
        var source = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = withUnsafeMutablePointer(to: &source) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { from in
                buffer.withUnsafeMutableBytes { recvfrom(descriptor, $0.baseAddress, $0.count, 0, from, &length) }
            }
        }
        guard count >= 0 else { return nil }
        return (Array(buffer[0..<count]), UInt16(bigEndian: source.sin_port))
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        return address
    }
}
