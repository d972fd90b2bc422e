/// One fuzz target: a name (the corpus folder under `Fuzz/corpus/`), one-time setup, and the function that
/// feeds one input to the parser it covers.
struct FuzzTarget: Sendable {
    let name: String
    let prepare: @Sendable () -> Void
    let run: @Sendable ([UInt8]) -> Void

    init(_ name: String, prepare: @escaping @Sendable () -> Void = {}, run: @escaping @Sendable ([UInt8]) -> Void) {
        self.name = name
        self.prepare = prepare
        self.run = run
    }

    /// Every target, in the order `make fuzz` runs them.
    static let all: [FuzzTarget] = [
        rtp, rtcp, control, signal, offer, relay, relayEngine, noise, sealed, srtp, wav, config, contacts, impairment, text, dht,
    ]
}

/// Input bytes as text, the way a file or command line reaches the text parsers (invalid UTF-8 repaired).
func fuzzText(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
