import ArgumentParser
import HoplineAudio

extension Hopline {
    /// `hopline devices`: the PortAudio input and output devices this machine has.
    struct Devices: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List audio input and output devices (PortAudio).",
            discussion: "Exits with status 1 and says so when there is no audio device at all.")

        func run() throws {
            let devices: [AudioDeviceInfo]
            do {
                devices = try AudioDeviceList.devices()
            } catch {
                throw CLIError("cannot query audio devices: \(error.description)")
            }
            guard !devices.isEmpty else {
                throw CLIError(
                    "no audio devices found: PortAudio sees no sound card or sound server (ALSA, JACK or PulseAudio via the ALSA pulse plugin)")
            }
            let inputs = devices.filter { $0.maxInputChannels > 0 }
            let outputs = devices.filter { $0.maxOutputChannels > 0 }
            print("Input devices:")
            print(inputs.isEmpty ? "  (none)" : inputs.map { line($0, channels: $0.maxInputChannels, isDefault: $0.isDefaultInput) }.joined(separator: "\n"))
            print("Output devices:")
            print(outputs.isEmpty ? "  (none)" : outputs.map { line($0, channels: $0.maxOutputChannels, isDefault: $0.isDefaultOutput) }.joined(separator: "\n"))
        }

        private func line(_ device: AudioDeviceInfo, channels: Int, isDefault: Bool) -> String {
            let marker = isDefault ? "*" : " "
            return " \(marker)\(device.index): \(device.name) [\(device.hostAPI)], \(channels) ch, \(Int(device.defaultSampleRate)) Hz"
        }
    }
}
