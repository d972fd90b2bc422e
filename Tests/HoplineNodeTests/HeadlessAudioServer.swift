import Foundation

/// A private PulseAudio daemon with a null sink (a paced virtual speaker) and a source that hears it (a
/// virtual microphone), reached by PortAudio through the ALSA pulse plugin. See shared/TESTING.md.
///
/// `environment` holds the variables a child process needs to use it. `stop()` kills the daemon and removes
/// its directory; call it in every exit path.
final class HeadlessAudioServer {
    let directory: URL
    let environment: [String: String]
    private let daemon: ChildProcess

    /// Starts the daemon and waits until it answers (at most 5 s); throws XCTSkip-worthy errors when
    /// PulseAudio is not installed.
    init() throws {
        guard let pulseaudio = Self.which("pulseaudio"), let pactl = Self.which("pactl") else {
            throw HeadlessAudioError.notInstalled
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hl-pulse-\(UUID().uuidString.prefix(8))")
        let runtime = directory.appendingPathComponent("rt"), home = directory.appendingPathComponent("home")
        for url in [runtime, home] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        let socket = directory.appendingPathComponent("native").path
        let script = """
            load-module module-native-protocol-unix auth-anonymous=1 socket=\(socket)
            load-module module-null-sink sink_name=vsink rate=48000 channels=1
            load-module module-remap-source source_name=vmic master=vsink.monitor
            set-default-sink vsink
            set-default-source vmic

            """
        let scriptPath = directory.appendingPathComponent("headless.pa")
        try script.write(to: scriptPath, atomically: true, encoding: .utf8)
        let alsaConfig = directory.appendingPathComponent("alsa.conf")
        try "pcm.!default { type pulse }\nctl.!default { type pulse }\n".write(to: alsaConfig, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["XDG_RUNTIME_DIR"] = runtime.path
        environment["PULSE_SERVER"] = "unix:\(socket)"
        environment["ALSA_CONFIG_PATH"] = alsaConfig.path
        environment["JACK_NO_START_SERVER"] = "1"
        self.environment = environment

        daemon = try ChildProcess.spawn(
            pulseaudio,
            [
                "-n", "-F", scriptPath.path, "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
                "--log-target=file:\(directory.appendingPathComponent("pulse.log").path)",
            ], environment: environment)
        for _ in 0..<100 {
            if let probe = try? ChildProcess.spawn(pactl, ["info"], environment: environment) {
                let status = probe.wait(timeout: 5)
                _ = probe.collectOutput()
                if status == 0 { return }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop()
        throw HeadlessAudioError.didNotStart(log: directory.appendingPathComponent("pulse.log").path)
    }

    func stop() {
        daemon.kill()
        _ = daemon.collectOutput()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func which(_ name: String) -> String? {
        for directory in ["/usr/bin", "/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        return nil
    }
}

enum HeadlessAudioError: Error, CustomStringConvertible {
    case notInstalled
    case didNotStart(log: String)

    var description: String {
        switch self {
        case .notInstalled: return "pulseaudio/pactl not installed (apt-get install pulseaudio pulseaudio-utils libasound2-plugins)"
        case .didNotStart(let log): return "the headless PulseAudio daemon did not answer within 5 s (log: \(log))"
        }
    }
}
