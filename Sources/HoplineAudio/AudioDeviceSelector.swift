/// Which PortAudio device a live stream opens: what `--input-device` / `--output-device` name.
///
/// `init(argument:)` reads the option's text: nothing (or only spaces) is the system default, a whole number
/// is a device index as `hopline devices` prints it, anything else a name. A name matches a device whose name
/// equals it ignoring case; failing that, the one device whose name contains it ignoring case. `resolve`
/// only considers devices with channels in the requested direction.
public enum AudioDeviceSelector: Sendable, Equatable, CustomStringConvertible {
    /// PortAudio's default device for the direction.
    case systemDefault
    /// The device with this PortAudio index.
    case index(Int)
    /// The device with this name, or the only one whose name contains it (ignoring case).
    case name(String)

    public init(argument: String) {
        let trimmed = argument.trimmingSpaces
        if trimmed.isEmpty {
            self = .systemDefault
        } else if let index = Int(trimmed), trimmed.allSatisfy(\.isASCIIDigit) {
            self = .index(index)
        } else {
            self = .name(String(trimmed))
        }
    }

    public var description: String {
        switch self {
        case .systemDefault: return "the default device"
        case .index(let index): return "device \(index)"
        case .name(let name): return "'\(name)'"
        }
    }

    /// The device among `devices` (PortAudio's list) this selector picks for `direction`.
    public func resolve(
        _ direction: AudioDirection, among devices: [AudioDeviceInfo]
    ) throws(AudioDeviceError) -> AudioDeviceInfo {
        guard !devices.isEmpty else { throw .noDevices }
        let capable = devices.filter { direction == .input ? $0.maxInputChannels > 0 : $0.maxOutputChannels > 0 }
        let found: AudioDeviceInfo?
        switch self {
        case .systemDefault:
            found = capable.first { direction == .input ? $0.isDefaultInput : $0.isDefaultOutput }
        case .index(let index):
            found = capable.first { $0.index == index }
        case .name(let name):
            let wanted = name.lowercased()
            if let exact = capable.first(where: { $0.name.lowercased() == wanted }) {
                found = exact
            } else {
                let partial = capable.filter { $0.name.lowercased().contains(wanted) }
                guard partial.count <= 1 else {
                    throw .ambiguousDevice(direction: direction, name: name, matches: partial.map(\.label))
                }
                found = partial.first
            }
        }
        guard let found else {
            throw .noMatchingDevice(direction: direction, selector: self, available: capable.map(\.label))
        }
        return found
    }
}

extension AudioDeviceInfo {
    /// "index: name", as device lists in error messages show it.
    var label: String { "\(index): \(name)" }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map(index(after:)) ?? endIndex
        return start < end ? self[start..<end] : ""
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
