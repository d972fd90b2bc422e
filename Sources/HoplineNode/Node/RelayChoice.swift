import HoplineNet

/// How a caller chooses relays among those that answered its probe: relays whose RTT is within
/// `equivalentMilliseconds` of the fastest count as equally near, and among those the least loaded (by
/// sessions per capacity) comes first, so calls placed one after another spread over the relays; a draining
/// relay is never chosen.
enum RelayChoice {
    /// Sessions a call opens: the active relay path and a warm standby.
    static let sessionsPerCall = 2
    static let equivalentMilliseconds = 20.0

    struct Offer: Equatable {
        var relay: PeerAddress
        var rttMilliseconds: Double
        var load: RelayLoad?
    }

    static func rank(_ offers: [Offer]) -> [PeerAddress] {
        let usable = offers.filter { !($0.load?.draining ?? false) }
        guard let fastest = usable.map(\.rttMilliseconds).min() else { return [] }
        func loadShare(_ offer: Offer) -> Double {
            guard let load = offer.load, load.capacity > 0 else { return 0 }
            return Double(load.sessions) / Double(load.capacity)
        }
        return usable.enumerated().sorted { lhs, rhs in
            let a = lhs.element, b = rhs.element
            let nearA = a.rttMilliseconds <= fastest + equivalentMilliseconds
            let nearB = b.rttMilliseconds <= fastest + equivalentMilliseconds
            if nearA != nearB { return nearA }
            if nearA, loadShare(a) != loadShare(b) { return loadShare(a) < loadShare(b) }
            if a.rttMilliseconds != b.rttMilliseconds { return a.rttMilliseconds < b.rttMilliseconds }
            return lhs.offset < rhs.offset
        }.map(\.element.relay)
    }
}
