import Foundation

/// One nftables counter: packets and bytes.
struct NFTCount: Equatable {
    var packets = 0
    var bytes = 0
}

extension NetworkNamespaces {
    /// One bridge (in namespace `prefix-sw`) with a host namespace per tag, each on `subnet.N/24` in the order
    /// given (N = 1, 2, ...), its interface named `prefix` + tag. Returns tag -> namespace.
    func buildBridge(hosts: [String], subnet: String) throws -> [String: String] {
        let bridgeNS = try add("sw")
        let bridge = "\(prefix)br"
        try ip(["-n", bridgeNS, "link", "add", bridge, "type", "bridge"])
        try ip(["-n", bridgeNS, "link", "set", bridge, "up"])
        var names: [String: String] = [:]
        for (index, tag) in hosts.enumerated() {
            let host = try add(tag)
            names[tag] = host
            let end = "\(prefix)\(tag)", port = "\(prefix)\(tag)s"
            try ip(["link", "add", end, "type", "veth", "peer", "name", port])
            try ip(["link", "set", end, "netns", host])
            try ip(["link", "set", port, "netns", bridgeNS])
            try ip(["-n", bridgeNS, "link", "set", port, "master", bridge])
            try ip(["-n", bridgeNS, "link", "set", port, "up"])
            try ip(["-n", host, "addr", "add", "\(subnet).\(index + 1)/24", "dev", end])
            try ip(["-n", host, "link", "set", end, "up"])
        }
        return names
    }

    /// The MAC address of `interface` in `namespace`.
    func mac(namespace: String, interface: String) throws -> String {
        let text = try capture(Self.ipPath, ["-n", namespace, "link", "show", "dev", interface])
        guard let range = text.range(of: "link/ether ") else { throw NamespaceError.commandFailed("no MAC for \(interface): \(text)") }
        return String(text[range.upperBound...].prefix(17))
    }

    /// Runs `nft` with `arguments` in `namespace`.
    func nft(_ namespace: String, _ arguments: [String]) throws {
        try ip(["netns", "exec", namespace, "/usr/sbin/nft"] + arguments)
    }

    /// A namespace whose own firewall drops every UDP datagram it sends to `port` (the sender gets EPERM).
    func addNamespaceDroppingOutgoingUDP(toPort port: Int, name: String) throws -> String {
        let namespace = try add(name)
        try nft(namespace, ["add", "table", "inet", "hl"])
        try nft(namespace, ["add", "chain", "inet", "hl", "out", "{", "type", "filter", "hook", "output", "priority", "0", ";", "}"])
        try nft(namespace, ["add", "rule", "inet", "hl", "out", "udp", "dport", "\(port)", "drop"])
        return namespace
    }

    /// The counters of `chain` in table `inet hl` of `namespace`, in rule order.
    func nftCounts(_ namespace: String, chain: String) throws -> [NFTCount] {
        let text = try capture(Self.ipPath, ["netns", "exec", namespace, "/usr/sbin/nft", "list", "chain", "inet", "hl", chain])
        var result: [NFTCount] = []
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: "counter packets ") else { continue }
            let fields = line[range.upperBound...].split(separator: " ")
            guard fields.count >= 3, let packets = Int(fields[0]), let bytes = Int(fields[2]) else { continue }
            result.append(NFTCount(packets: packets, bytes: bytes))
        }
        return result
    }

    /// Runs a command to completion (10 s at most) and returns its stdout; throws with its stderr on failure.
    func capture(_ path: String, _ arguments: [String]) throws -> String {
        let child = try ChildProcess.spawn(path, arguments)
        let status = child.wait(timeout: 10)
        let output = child.collectOutput()
        guard status == 0 else { throw NamespaceError.commandFailed("\(path) \(arguments.joined(separator: " ")): \(output.stderr)") }
        return output.stdout
    }
}
