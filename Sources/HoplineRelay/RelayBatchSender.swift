#if canImport(Glibc)
import Glibc
#endif
import CSocketBatch
import NIOCore

/// Sends the relay's datagrams itself, in batches: each is copied into a preallocated arena and `flush()`
/// hands the batch to the kernel with one `sendmmsg`. No allocation per datagram, and, unlike writes through
/// SwiftNIO (which closes a datagram channel on most write errors), a datagram the kernel refuses (EPERM from a
/// firewall, ENETUNREACH) is counted and skipped while the socket goes on.
///
/// Event-loop confined (the relay handler's loop), like the engine.
final class RelayBatchSender {
    static let capacity = 64
    static let maximumDatagram = 2_048

    private let descriptor: CInt
    private let onFailure: () -> Void
    private var arena: UnsafeMutableRawPointer
    private var lengths = [Int](repeating: 0, count: capacity)
    private var addresses: UnsafeMutablePointer<sockaddr_storage>
    private var addressLengths = [socklen_t](repeating: 0, count: capacity)
    private var iovecs: UnsafeMutablePointer<iovec>
    private var headers: UnsafeMutablePointer<CSocketBatch_mmsghdr>
    private(set) var pending = 0

    init(descriptor: CInt, onFailure: @escaping () -> Void) {
        self.descriptor = descriptor
        self.onFailure = onFailure
        arena = UnsafeMutableRawPointer.allocate(byteCount: Self.capacity * Self.maximumDatagram, alignment: 16)
        addresses = .allocate(capacity: Self.capacity)
        iovecs = .allocate(capacity: Self.capacity)
        headers = .allocate(capacity: Self.capacity)
    }

    deinit {
        arena.deallocate()
        addresses.deallocate()
        iovecs.deallocate()
        headers.deallocate()
    }

    /// Queues the readable bytes of `buffer` for `destination`; flushes first when the batch is full.
    func enqueue(_ buffer: ByteBuffer, to destination: SocketAddress) {
        guard buffer.readableBytes <= Self.maximumDatagram else {
            onFailure()
            return
        }
        if pending == Self.capacity { flush() }
        let slot = pending
        let copied = buffer.withUnsafeReadableBytes { bytes -> Int in
            if let base = bytes.baseAddress { (arena + slot * Self.maximumDatagram).copyMemory(from: base, byteCount: bytes.count) }
            return bytes.count
        }
        lengths[slot] = copied
        addressLengths[slot] = destination.withSockAddr { pointer, length in
            UnsafeMutableRawPointer(addresses + slot).copyMemory(from: pointer, byteCount: length)
            return socklen_t(length)
        }
        pending += 1
    }

    /// Queues `bytes` for `destination` (replies and DRAIN; not the forwarding path).
    func enqueue(_ bytes: [UInt8], to destination: SocketAddress) {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        enqueue(buffer, to: destination)
    }

    /// Sends everything queued. A datagram the kernel refuses is counted and skipped; a full socket buffer
    /// (EAGAIN) drops the rest of the batch, counted, as a full queue would.
    func flush() {
        var start = 0
        while start < pending {
            let count = pending - start
            for index in 0..<count {
                let slot = start + index
                iovecs[index] = iovec(iov_base: arena + slot * Self.maximumDatagram, iov_len: lengths[slot])
                headers[index] = CSocketBatch_mmsghdr(
                    msg_hdr: msghdr(
                        msg_name: UnsafeMutableRawPointer(addresses + slot), msg_namelen: addressLengths[slot],
                        msg_iov: iovecs + index, msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0),
                    msg_len: 0)
            }
            let sent = CSocketBatch_sendmmsg(descriptor, headers, UInt32(count), CInt(MSG_DONTWAIT))
            if sent > 0 {
                start += Int(sent)
                continue
            }
            if sent < 0 && errno == EINTR { continue }
            if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                for _ in start..<pending { onFailure() }
                break
            }
            onFailure()  // the first datagram of what is left was refused: skip it, send the rest
            start += 1
        }
        pending = 0
    }
}
