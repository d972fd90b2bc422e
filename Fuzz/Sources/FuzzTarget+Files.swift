import HoplineAudio
import HoplineCore
import HoplineNet
import HoplineNode

/// The text and file parsers: WAV files, the TOML configuration and contacts files, the impairment grammar,
/// and the node IDs and addresses typed on command lines or found in those files.
extension FuzzTarget {
    /// `WAVReader.decode(_:path:)`: the whole-file parser behind `WAVReader.read(path:)`. Samples must be finite
    /// (the reader turns NaN and infinities into 0; float files may hold values beyond -1...1).
    static let wav = FuzzTarget("wav") { bytes in
        guard let contents = try? WAVReader.decode(bytes, path: "fuzz.wav") else { return }
        fuzzCheck(contents.audio.samples.allSatisfy(\.isFinite), "WAV sample not finite")
    }

    /// `HoplineConfiguration.parse(_:path:)`: the TOML configuration file (TOMLKit, then our checks).
    static let config = FuzzTarget("config") { bytes in
        _ = try? HoplineConfiguration.parse(fuzzText(bytes), path: "fuzz.toml")
    }

    /// `ContactBook.parse(_:path:)`: the TOML contacts file.
    static let contacts = FuzzTarget("contacts") { bytes in
        _ = try? ContactBook.parse(fuzzText(bytes), path: "contacts.toml")
    }

    /// `ImpairmentSpec(parsing:)`; an accepted spec also describes itself and drives a model over 2 s of
    /// 20 ms packets (large or odd values must not trap in the arithmetic).
    static let impairment = FuzzTarget("impairment") { bytes in
        guard let spec = try? ImpairmentSpec(parsing: fuzzText(bytes)) else { return }
        _ = spec.description
        var model = ImpairmentModel(spec: spec, stream: 1, origin: .zero)
        for index in 0..<100 { _ = model.fate(ofPacketSentAt: ClockInstant(nanoseconds: Int64(index) * 20_000_000)) }
    }

    /// `NodeID(parsing:)`, `PeerAddress(parsing:)` and `CallTarget(parsing:)`.
    static let text = FuzzTarget("text") { bytes in
        let text = fuzzText(bytes)
        if let id = try? NodeID(parsing: text) {
            fuzzCheck((try? NodeID(parsing: id.description)) == id, "node ID round trip")
        }
        // An address prints as it parses back (an IPv6 zone, `%eth0`, is not printed, so compare the printed forms).
        if let address = try? PeerAddress(parsing: text) {
            let again = try? PeerAddress(parsing: address.description)
            fuzzCheck(again?.description == address.description, "address round trip")
        }
        _ = try? CallTarget(parsing: text)
    }
}
