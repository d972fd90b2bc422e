import Foundation
import XCTest

extension NetworkNamespaces {
    /// Five namespaces: a "public" one in the middle (10.77.1.1 toward router A, 10.77.2.1 toward router B,
    /// forwarding between them), two NAT routers (nftables masquerade on their WAN side, unsolicited
    /// inbound traffic dropped) and a host behind each (192.168.10.2, 192.168.20.2). A symmetric router uses
    /// `masquerade random`: a new public port per destination, which hole punching cannot pass. The routers'
    /// namespaces are `prefix-ra` and `prefix-rb`. `scratch` holds the nftables rule files.
    func buildTwoNATs(symmetricA: Bool = false, symmetricB: Bool, scratch: URL) throws -> (pub: String, hostA: String, hostB: String) {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft"), "nftables (nft) is not installed")
        let pub = try add("pub"), routerA = try add("ra"), routerB = try add("rb")
        let hostA = try add("ha"), hostB = try add("hb")
        try link(pub, "10.77.1.1/24", routerA, "10.77.1.2/24", name: "w1")
        try link(pub, "10.77.2.1/24", routerB, "10.77.2.2/24", name: "w2")
        try link(routerA, "192.168.10.1/24", hostA, "192.168.10.2/24", name: "l1")
        try link(routerB, "192.168.20.1/24", hostB, "192.168.20.2/24", name: "l2")
        for namespace in [pub, routerA, routerB] {
            try run(NetworkNamespaces.ipPath, ["netns", "exec", namespace, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        }
        try ip(["-n", routerA, "route", "add", "default", "via", "10.77.1.1"])
        try ip(["-n", routerB, "route", "add", "default", "via", "10.77.2.1"])
        try ip(["-n", hostA, "route", "add", "default", "via", "192.168.10.1"])
        try ip(["-n", hostB, "route", "add", "default", "via", "192.168.20.1"])
        for (router, wan, symmetric) in [(routerA, interface("w1", side: "b"), symmetricA), (routerB, interface("w2", side: "b"), symmetricB)] {
            let rules = """
                table ip nat { chain post { type nat hook postrouting priority 100; oifname "\(wan)" masquerade\(symmetric ? " random" : ""); }; }
                table inet filter { chain input { type filter hook input priority 0; iifname "\(wan)" ct state new drop; }; }
                """
            let file = scratch.appendingPathComponent("\(router).nft").path
            try rules.write(toFile: file, atomically: true, encoding: .utf8)
            try run(NetworkNamespaces.ipPath, ["netns", "exec", router, "/usr/sbin/nft", "-f", file])
        }
        return (pub, hostA, hostB)
    }
}
