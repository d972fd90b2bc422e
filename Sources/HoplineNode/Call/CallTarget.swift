import HoplineNet

/// Who `hopline call` calls, as typed: a contact name, a node ID (found through `--rendezvous`), a node ID
/// pinned to an address (`NODE-ID@HOST:PORT`), or a bare `HOST:PORT` (its node ID is asked for first and
/// trusted on first use, with a warning).
public enum CallTarget: Equatable, Sendable, CustomStringConvertible {
    case node(NodeID)
    case pinned(NodeID, PeerAddress)
    case address(PeerAddress)

    /// Parses `NODE-ID`, `NODE-ID@HOST:PORT` or `HOST:PORT` (contact names are resolved by the caller first).
    public init(parsing text: String) throws(CallError) {
        if let at = text.firstIndex(of: "@") {
            let idText = String(text[..<at]), addressText = String(text[text.index(after: at)...])
            let id: NodeID
            do { id = try NodeID(parsing: idText) } catch { throw .invalidArgument("'\(idText)' is not a node ID: \(error)") }
            do { self = .pinned(id, try PeerAddress(parsing: addressText)) } catch {
                throw .invalidArgument("'\(addressText)' after '@': \(error)")
            }
            return
        }
        if let id = try? NodeID(parsing: text) {
            self = .node(id)
            return
        }
        do {
            self = .address(try PeerAddress(parsing: text))
        } catch {
            throw .invalidArgument(
                "'\(text)' is neither a contact name, a node ID, NODE-ID@HOST:PORT nor HOST:PORT (\(error))")
        }
    }

    public var description: String {
        switch self {
        case .node(let id): return id.abbreviated
        case .pinned(let id, let address): return "\(id.abbreviated)@\(address)"
        case .address(let address): return "\(address)"
        }
    }
}
