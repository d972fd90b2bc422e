/// What one of OpenDHT's callbacks reported, queued for the node's loop (`DHTEventQueue`). Values are copied
/// out of OpenDHT's memory before the callback returns.
public enum DHTEvent: Sendable, Equatable {
    /// A value found by the `get` numbered `operation`.
    case value(operation: Int, bytes: [UInt8])
    /// A value arriving (or expiring) on the `listen` numbered `operation`.
    case listened(operation: Int, bytes: [UInt8], expired: Bool)
    /// A `get`, `put` or `ping` finished (`ok`: it reached the network).
    case done(operation: Int, ok: Bool)
}
