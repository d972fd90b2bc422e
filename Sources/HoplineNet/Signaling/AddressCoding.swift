import NIOCore

/// Encodes addresses and candidates in control packets: family (4 or 6), port (u16), then 4 or 16 bytes; a
/// candidate is its kind (u8) and address, and for a relayed candidate the relay token (88 bytes) after it.
extension WireWriter {
    public mutating func address(_ address: PeerAddress) {
        switch address.socketAddress {
        case .v4(let v4):
            u8(4)
            u16(UInt16(address.port))
            withUnsafeBytes(of: v4.address.sin_addr.s_addr) { append($0) }  // already network order
        case .v6(let v6):
            u8(6)
            u16(UInt16(address.port))
            withUnsafeBytes(of: v6.address.sin6_addr) { append($0) }
        case .unixDomainSocket:
            u8(0)
            u16(0)
        }
    }

    public mutating func candidates(_ list: [Candidate]) {
        u8(UInt8(min(list.count, Int(UInt8.max))))
        for candidate in list.prefix(Int(UInt8.max)) {
            u8(candidate.kind.rawValue)
            address(candidate.address)
            if candidate.kind == .relayed {
                append(candidate.relayToken ?? [UInt8](repeating: 0, count: Candidate.relayTokenLength))
            }
        }
    }
}

extension WireReader {
    public mutating func address(_ field: StaticString) throws(WireError) -> PeerAddress {
        let family = try u8(field)
        let port = Int(try u16(field))
        let host: String
        switch family {
        case 4:
            let raw = try bytes(4, field)
            host = raw.map { String($0) }.joined(separator: ".")
        case 6:
            let raw = try bytes(16, field)
            host = stride(from: 0, to: 16, by: 2).map { String(UInt16(raw[$0]) << 8 | UInt16(raw[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        default:
            throw .invalidValue(field: "\(field) family", value: Int(family), expected: "4 or 6")
        }
        guard let socketAddress = try? SocketAddress(ipAddress: host, port: port) else {
            throw .invalidValue(field: "\(field) address", value: Int(family), expected: "a valid IP address")
        }
        return PeerAddress(socketAddress)
    }

    /// At most 16 candidates are accepted from the network.
    public mutating func candidates(_ field: StaticString) throws(WireError) -> [Candidate] {
        let count = Int(try u8(field))
        guard count <= 16 else { throw .invalidValue(field: "\(field) count", value: count, expected: "0...16") }
        var list: [Candidate] = []
        for _ in 0..<count {
            let rawKind = try u8(field)
            guard let kind = CandidateKind(rawValue: rawKind) else {
                throw .invalidValue(field: "\(field) kind", value: Int(rawKind), expected: "1...4")
            }
            let address = try address(field)
            let token = kind == .relayed ? try bytes(Candidate.relayTokenLength, field) : nil
            list.append(Candidate(kind: kind, address: address, relayToken: token))
        }
        return list
    }
}
