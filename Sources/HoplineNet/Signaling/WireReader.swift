/// A cursor over one received control datagram: reads big-endian fields and fails with `WireError` instead
/// of trapping when the datagram is shorter than its format says. Not thread-safe; one per datagram.
public struct WireReader {
    private let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - offset }

    public mutating func u8(_ field: StaticString) throws(WireError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u16(_ field: StaticString) throws(WireError) -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func u32(_ field: StaticString) throws(WireError) -> UInt32 {
        try need(4, field)
        var value: UInt32 = 0
        for index in 0..<4 { value = value << 8 | UInt32(bytes[offset + index]) }
        offset += 4
        return value
    }

    public mutating func u64(_ field: StaticString) throws(WireError) -> UInt64 {
        try need(8, field)
        var value: UInt64 = 0
        for index in 0..<8 { value = value << 8 | UInt64(bytes[offset + index]) }
        offset += 8
        return value
    }

    public mutating func bytes(_ count: Int, _ field: StaticString) throws(WireError) -> [UInt8] {
        try need(count, field)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Everything from the cursor to the end.
    public mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    /// Fails unless every byte was consumed.
    /// Consumes the rest, which must be zero bytes (padding that keeps a request as large as its answer).
    public mutating func expectZeroPadding(_ what: StaticString) throws(WireError) {
        let padding = rest()
        if let bad = padding.first(where: { $0 != 0 }) {
            throw .invalidValue(field: "\(what)", value: Int(bad), expected: "zero bytes")
        }
    }

    public func expectEnd(_ what: StaticString) throws(WireError) {
        guard remaining == 0 else { throw .trailingBytes(what: "\(what)", count: remaining) }
    }

    private func need(_ count: Int, _ field: StaticString) throws(WireError) {
        guard count >= 0, remaining >= count else {
            throw .truncated(field: "\(field)", needed: count, available: max(remaining, 0))
        }
    }
}

/// Writes big-endian fields of a control datagram.
public struct WireWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    public mutating func u16(_ value: UInt16) { bytes.append(UInt8(value >> 8)); bytes.append(UInt8(value & 0xFF)) }
    public mutating func u32(_ value: UInt32) { for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
    public mutating func u64(_ value: UInt64) { for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) } }
    public mutating func append<Bytes: Sequence>(_ more: Bytes) where Bytes.Element == UInt8 { bytes.append(contentsOf: more) }
}

/// Why a control datagram could not be parsed. Such datagrams are counted and dropped, never thrown past
/// the demultiplexer.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(field: String, needed: Int, available: Int)
    case trailingBytes(what: String, count: Int)
    case invalidValue(field: String, value: Int, expected: String)

    public var description: String {
        switch self {
        case .truncated(let field, let needed, let available):
            return "truncated control packet: field '\(field)' needs \(needed) byte(s), \(available) left"
        case .trailingBytes(let what, let count): return "\(count) unexpected trailing byte(s) after \(what)"
        case .invalidValue(let field, let value, let expected): return "invalid \(field) \(value) (expected \(expected))"
        }
    }
}
