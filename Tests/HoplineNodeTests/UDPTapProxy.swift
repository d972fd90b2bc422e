import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A UDP forwarder on 127.0.0.1 standing in for a port forward: a caller sends to `frontPort`, the proxy
/// forwards to `target` from its back socket, and answers go back the same way. It keeps copies of the SRTP
/// datagrams (first byte 128-191) each way so a test can replay them, and can inject any bytes toward either
/// side from the address that side believes is its peer. Runs one thread for at most `lifetime` seconds.
final class UDPTapProxy: @unchecked Sendable {
    private let front: Int32
    private let back: Int32
    private let target: sockaddr_in
    private let lock = NSLock()
    private var caller: sockaddr_in?
    private var capturedToListener: [[UInt8]] = []
    private var capturedToCaller: [[UInt8]] = []
    private var stopped = false
    let frontPort: Int

    init(targetPort: Int, lifetime: TimeInterval = 60) throws {
        func makeSocket() throws -> (Int32, Int) {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard fd >= 0, bound == 0 else { throw NamespaceError.commandFailed("proxy socket: errno \(errno)") }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            return (fd, Int(UInt16(bigEndian: address.sin_port)))
        }
        (front, frontPort) = try makeSocket()
        (back, _) = try makeSocket()
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_addr.s_addr = inet_addr("127.0.0.1")
        target.sin_port = UInt16(targetPort).bigEndian
        self.target = target
        let deadline = Date().addingTimeInterval(lifetime)
        Thread { [self] in pump(until: deadline) }.start()
    }

    var toListener: [[UInt8]] { lock.withLock { capturedToListener } }
    var toCaller: [[UInt8]] { lock.withLock { capturedToCaller } }

    func injectToListener(_ bytes: [UInt8]) { send(back, bytes, to: target) }

    func injectToCaller(_ bytes: [UInt8]) {
        guard let caller = lock.withLock({ caller }) else { return }
        send(front, bytes, to: caller)
    }

    func stop() {
        lock.withLock { stopped = true }
    }

    private func pump(until deadline: Date) {
        var buffer = [UInt8](repeating: 0, count: 2048)
        var fds = [pollfd(fd: front, events: Int16(POLLIN), revents: 0), pollfd(fd: back, events: Int16(POLLIN), revents: 0)]
        while Date() < deadline && !lock.withLock({ stopped }) {
            guard poll(&fds, 2, 50) > 0 else { continue }
            for index in 0..<2 where fds[index].revents & Int16(POLLIN) != 0 {
                var source = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let count = withUnsafeMutablePointer(to: &source) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fds[index].fd, &buffer, buffer.count, 0, $0, &length) }
                }
                guard count > 0 else { continue }
                let bytes = Array(buffer[0..<count])
                let isMedia = (128...191).contains(bytes[0])
                if index == 0 {
                    lock.withLock {
                        caller = source
                        if isMedia { capturedToListener.append(bytes) }
                    }
                    send(back, bytes, to: target)
                } else if let caller = lock.withLock({ caller }) {
                    if isMedia { lock.withLock { capturedToCaller.append(bytes) } }
                    send(front, bytes, to: caller)
                }
            }
        }
        close(front)
        close(back)
    }

    private func send(_ fd: Int32, _ bytes: [UInt8], to address: sockaddr_in) {
        var address = address
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
}
