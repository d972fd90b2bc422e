import HoplineNet

/// Checks DHT records before anything believes them: layout, the node ID's binding of the signing key, the
/// signature, freshness (issued no later than `allowedSkewMilliseconds` from now, not expired, living at
/// most `maximumLifetimeMilliseconds`), and the sequence: a record older than the newest one already seen
/// from the same node and kind is a replay. Counts every rejection by reason.
///
/// Pure (time is an argument); one per node, owned by its loop thread.
public struct RecordVerifier: Sendable {
    public static let allowedSkewMilliseconds: UInt64 = 60_000
    public static let maximumLifetimeMilliseconds: UInt64 = 3_600_000

    private struct Seen: Hashable {
        var node: NodeID
        var kind: DiscoveryRecord.Kind
    }

    private var newest: [Seen: (sequence: UInt64, signature: [UInt8])] = [:]
    /// Nodes whose newest sequence is remembered, at most: identities cost nothing, so a flood of records from
    /// fresh ones must not grow memory without bound. Beyond it the memory starts over (a record that is
    /// older than one forgotten is then believed again until its own expiry, which still holds).
    public static let maximumTracked = 4096
    /// Rejected values by reason.
    public private(set) var rejections: [RecordRejection: Int] = [:]
    /// Values accepted.
    public private(set) var accepted = 0

    public init() {}

    public var totalRejections: Int { rejections.values.reduce(0, +) }

    /// Counts a rejection found outside the verifier (a body that does not parse or decrypt).
    public mutating func reject(_ reason: RecordRejection) { rejections[reason, default: 0] += 1 }

    /// Checks one value from the DHT: a record of `kind` (about `node`, when the key belongs to one).
    public mutating func verify(
        _ bytes: [UInt8], kind: DiscoveryRecord.Kind, about node: NodeID?, nowMilliseconds: UInt64
    ) -> Result<DiscoveryRecord, RecordRejection> {
        let result = Self.check(bytes, kind: kind, about: node, nowMilliseconds: nowMilliseconds).flatMap { record in
            sequenceCheck(record)
        }
        switch result {
        case .success: accepted += 1
        case .failure(let reason): reject(reason)
        }
        return result
    }

    /// Verifies every value found at one key and returns the newest valid record (or nil). Older valid ones
    /// at the same key are normal (a node refreshes its record; the DHT keeps the old ones a while) and are
    /// skipped without counting; only records older than one seen before count as replays.
    public mutating func newest(
        of values: [[UInt8]], kind: DiscoveryRecord.Kind, about node: NodeID, nowMilliseconds: UInt64
    ) -> DiscoveryRecord? {
        var valid: [DiscoveryRecord] = []
        for bytes in values {
            switch Self.check(bytes, kind: kind, about: node, nowMilliseconds: nowMilliseconds) {
            case .success(let record): valid.append(record)
            case .failure(let reason): reject(reason)
            }
        }
        guard let best = valid.max(by: { $0.sequence < $1.sequence }) else { return nil }
        switch sequenceCheck(best) {
        case .success(let record):
            accepted += 1
            return record
        case .failure(let reason):
            reject(reason)
            return nil
        }
    }

    /// Verifies every value found at a key many nodes share (the relay directory): the newest valid record
    /// of each node, older ones from the same node skipped as at `newest(of:)`.
    public mutating func newestPerNode(
        of values: [[UInt8]], kind: DiscoveryRecord.Kind, nowMilliseconds: UInt64
    ) -> [DiscoveryRecord] {
        var best: [NodeID: DiscoveryRecord] = [:]
        for bytes in values {
            switch Self.check(bytes, kind: kind, about: nil, nowMilliseconds: nowMilliseconds) {
            case .success(let record):
                if let known = best[record.nodeID], known.sequence >= record.sequence { continue }
                best[record.nodeID] = record
            case .failure(let reason):
                reject(reason)
            }
        }
        var result: [DiscoveryRecord] = []
        for record in best.values.sorted(by: { $0.nodeID < $1.nodeID }) {
            switch sequenceCheck(record) {
            case .success:
                accepted += 1
                result.append(record)
            case .failure(let reason):
                reject(reason)
            }
        }
        return result
    }

    /// Everything but the sequence: layout, kind, node, binding, signature, freshness.
    public static func check(
        _ bytes: [UInt8], kind: DiscoveryRecord.Kind, about node: NodeID?, nowMilliseconds: UInt64
    ) -> Result<DiscoveryRecord, RecordRejection> {
        guard let record = try? DiscoveryRecord(parsing: bytes) else { return .failure(.malformed) }
        guard record.kind == kind else { return .failure(.wrongKind) }
        if let node, record.nodeID != node { return .failure(.wrongNode) }
        guard record.keyIsBound else { return .failure(.keyNotBound) }
        guard record.signatureIsValid else { return .failure(.badSignature) }
        guard record.expiresMilliseconds > nowMilliseconds else { return .failure(.expired) }
        guard record.issuedMilliseconds <= nowMilliseconds + allowedSkewMilliseconds,
            record.expiresMilliseconds > record.issuedMilliseconds,
            record.expiresMilliseconds - record.issuedMilliseconds <= maximumLifetimeMilliseconds
        else { return .failure(.badLifetime) }
        return .success(record)
    }

    private mutating func sequenceCheck(_ record: DiscoveryRecord) -> Result<DiscoveryRecord, RecordRejection> {
        let key = Seen(node: record.nodeID, kind: record.kind)
        if let seen = newest[key] {
            if record.sequence < seen.sequence { return .failure(.replayed) }
            if record.sequence == seen.sequence, record.signature != seen.signature { return .failure(.replayed) }
        }
        if newest.count >= Self.maximumTracked, newest[key] == nil { newest.removeAll(keepingCapacity: true) }
        newest[key] = (record.sequence, record.signature)
        return .success(record)
    }
}
