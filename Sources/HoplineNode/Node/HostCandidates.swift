import HoplineNet
import NIOCore
import NIOPosix

/// The node's host candidates: its bound address, or, when bound to the wildcard (0.0.0.0), every
/// non-loopback IPv4 interface address with the socket's port.
public enum HostCandidates {
    public static func gather(local: PeerAddress) -> [Candidate] {
        guard local.socketAddress.ipAddress == "0.0.0.0" else { return [Candidate(kind: .host, address: local)] }
        var list: [Candidate] = []
        let devices = (try? System.enumerateDevices()) ?? []
        for device in devices {
            guard let address = device.address, case .v4 = address, let ip = address.ipAddress,
                !ip.hasPrefix("127.")
            else { continue }
            if let candidate = try? SocketAddress(ipAddress: ip, port: local.port) {
                let peer = PeerAddress(candidate)
                if !list.contains(where: { $0.address == peer }) { list.append(Candidate(kind: .host, address: peer)) }
            }
        }
        return list
    }
}
