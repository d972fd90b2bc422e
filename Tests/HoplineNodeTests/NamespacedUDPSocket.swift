import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking IPv4 UDP socket created inside a network namespace (the calling thread enters the namespace
/// with setns(2) just long enough to create and bind it, then returns to its own), so one test process can
/// play several hosts of a namespace topology. Receives time out after 100 ms.
final class NamespacedUDPSocket {
    let descriptor: Int32
    let ip: String
    let port: UInt16

    private typealias SetNS = @convention(c) (Int32, Int32) -> Int32
    private static let cloneNewNet: Int32 = 0x4000_0000

    init(namespace: String, ip: String, port: UInt16) throws {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { throw NamespaceError.commandFailed("setns not found") }
        let setns = unsafeBitCast(symbol, to: SetNS.self)
        let home = open("/proc/thread-self/ns/net", O_RDONLY)
        let target = open("/var/run/netns/\(namespace)", O_RDONLY)
        defer { close(home); close(target) }
        guard home >= 0, target >= 0 else { throw NamespaceError.commandFailed("cannot open namespace \(namespace): errno \(errno)") }
        guard setns(target, Self.cloneNewNet) == 0 else { throw NamespaceError.commandFailed("setns(\(namespace)) failed: errno \(errno)") }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = Self.address(ip, port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let bindErrno = errno
        precondition(setns(home, Self.cloneNewNet) == 0, "cannot return to the test's own network namespace")
        guard fd >= 0, bound == 0 else {
            if fd >= 0 { close(fd) }
            throw NamespaceError.commandFailed("bind \(ip):\(port) in \(namespace) failed: errno \(bindErrno)")
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        descriptor = fd
        self.ip = ip
        self.port = port
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8], to ip: String, port: UInt16) {
        var address = Self.address(ip, port)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, bytes.count, 0, target, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    /// One datagram, or nil after 100 ms without one.
    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 2_048)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count >= 0 ? Array(buffer.prefix(count)) : nil
    }

    private static func address(_ ip: String, _ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, ip, &address.sin_addr)
        return address
    }
}
