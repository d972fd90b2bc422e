import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program with posix_spawn and waitpid, output captured in files: bounded by a timeout, immune to
/// pipe-buffer deadlocks, and free of Foundation `Process`'s occasional missed child exits on Linux.
struct ChildProcess {
    let pid: pid_t
    let stdoutPath: String
    let stderrPath: String

    /// Starts `path` with `arguments` and `environment` (nil: inherit ours).
    static func spawn(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ChildProcess {
        let directory = FileManager.default.temporaryDirectory.path
        let token = UUID().uuidString.prefix(8)
        let stdoutPath = "\(directory)/hl-child-\(token).out", stderrPath = "\(directory)/hl-child-\(token).err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let environmentList = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environmentList.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, nil, &argv, &envp)
        guard status == 0 else { throw ChildProcessError.spawnFailed(path: path, errno: status) }
        return ChildProcess(pid: pid, stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    /// Waits for exit up to `timeout` seconds; on timeout kills the child and returns nil.
    func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return exitCode(status) }
            if result < 0 { return nil }
            usleep(5_000)
        }
        kill()
        return nil
    }

    /// Sends SIGTERM, then SIGKILL after 2 s, and reaps the child.
    func kill() {
        Glibc.kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<200 {
            if waitpid(pid, &status, WNOHANG) != 0 { return }
            usleep(10_000)
        }
        Glibc.kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }

    /// Reads and deletes the captured output files.
    func collectOutput() -> (stdout: String, stderr: String) {
        let out = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
        return (out, err)
    }

    private func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}

enum ChildProcessError: Error, CustomStringConvertible {
    case spawnFailed(path: String, errno: Int32)

    var description: String {
        switch self {
        case .spawnFailed(let path, let code): return "cannot start \(path): \(String(cString: strerror(code)))"
        }
    }
}
