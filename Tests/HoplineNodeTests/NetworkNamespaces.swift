import Foundation
import XCTest

/// A throw-away topology of Linux network namespaces joined by veth pairs, named with a per-run prefix
/// so parallel runs cannot collide. `tearDown()` kills every process left in the namespaces and deletes
/// them (which deletes their veths); call it in every exit path (`addTeardownBlock`).
final class NetworkNamespaces {
    let prefix: String
    private(set) var namespaces: [String] = []

    /// Skips the test unless running as root with `ip` available (CI runs as root).
    init(testCase: XCTestCase) throws {
        try XCTSkipUnless(geteuid() == 0, "network-namespace tests need root (CI runs as root)")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip"), "iproute2 (ip) is not installed")
        prefix = "hl" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(5))
        testCase.addTeardownBlock { [self] in tearDown() }
    }

    static let ipPath = FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip"

    /// Creates namespace `prefix-name` with loopback up; returns its full name.
    @discardableResult
    func add(_ name: String) throws -> String {
        let full = "\(prefix)-\(name)"
        try ip(["netns", "add", full])
        namespaces.append(full)
        try ip(["-n", full, "link", "set", "lo", "up"])
        return full
    }

    /// Joins two namespaces with a veth pair and gives each end an address (CIDR) and brings both up.
    func link(_ a: String, _ addressA: String, _ b: String, _ addressB: String, name: String) throws {
        let endA = "\(prefix)\(name)a", endB = "\(prefix)\(name)b"
        try ip(["link", "add", endA, "type", "veth", "peer", "name", endB])
        try ip(["link", "set", endA, "netns", a])
        try ip(["link", "set", endB, "netns", b])
        try ip(["-n", a, "addr", "add", addressA, "dev", endA])
        try ip(["-n", b, "addr", "add", addressB, "dev", endB])
        try ip(["-n", a, "link", "set", endA, "up"])
        try ip(["-n", b, "link", "set", endB, "up"])
    }

    /// The interface name `link(..., name:)` gave side a or b.
    func interface(_ name: String, side: Character) -> String { "\(prefix)\(name)\(side)" }

    func ip(_ arguments: [String]) throws {
        try run(Self.ipPath, arguments)
    }

    /// Runs a command to completion (10 s at most); throws with its stderr when it fails.
    func run(_ path: String, _ arguments: [String]) throws {
        let child = try ChildProcess.spawn(path, arguments)
        let status = child.wait(timeout: 10)
        let output = child.collectOutput()
        guard status == 0 else {
            throw NamespaceError.commandFailed("\(path) \(arguments.joined(separator: " ")): status \(status.map(String.init) ?? "timeout"): \(output.stderr)")
        }
    }

    /// Runs a command inside a namespace as a ChildProcess (not waited for).
    func spawn(in namespace: String, _ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ChildProcess {
        try ChildProcess.spawn(Self.ipPath, ["netns", "exec", namespace, path] + arguments, environment: environment)
    }

    func tearDown() {
        for namespace in namespaces {
            if let child = try? ChildProcess.spawn(Self.ipPath, ["netns", "pids", namespace]) {
                _ = child.wait(timeout: 5)
                let pids = child.collectOutput().stdout.split(whereSeparator: \.isNewline).compactMap { pid_t($0) }
                for pid in pids { kill(pid, SIGKILL) }
            }
            if let child = try? ChildProcess.spawn(Self.ipPath, ["netns", "del", namespace]) {
                _ = child.wait(timeout: 10)
                _ = child.collectOutput()
            }
        }
        namespaces.removeAll()
    }
}

enum NamespaceError: Error, CustomStringConvertible {
    case commandFailed(String)
    var description: String {
        switch self {
        case .commandFailed(let text): return text
        }
    }
}
