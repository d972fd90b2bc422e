internal import Glibc

/// libFuzzer's entry points. One binary serves every target: `HOPLINE_FUZZ_TARGET` names the parser to fuzz
/// (`FuzzTarget.all`), read once in `LLVMFuzzerInitialize`. With `HOPLINE_FUZZ_SEEDS=DIR` set instead, the binary
/// writes the seed corpus (`FuzzSeeds`) into `DIR/<target>/` and exits without fuzzing.
///
/// A target fails (a "finding") by crashing: a Swift trap, an AddressSanitizer report, a timeout, or a broken
/// round-trip invariant (`fuzzCheck`). Thrown parse errors are the expected outcome for bad bytes.
nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    if let directory = getenv("HOPLINE_FUZZ_SEEDS").map({ String(cString: $0) }) {
        FuzzSeeds.write(to: directory)
        _exit(0)  // not exit(): LeakSanitizer would report the seed writer's globals at exit
    }
    let name = getenv("HOPLINE_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget.all.first(where: { $0.name == name }) else {
        let names = FuzzTarget.all.map(\.name).joined(separator: " ")
        fuzzLog("hopline-fuzz: set HOPLINE_FUZZ_TARGET to one of: \(names) (got '\(name)')")
        exit(2)
    }
    target.prepare()
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = count == 0 ? [] : [UInt8](UnsafeBufferPointer(start: start, count: count))
    selected?.run(bytes)
    return 0
}

/// Stops the run with a finding when an invariant the parser promises does not hold.
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fuzzLog("hopline-fuzz: invariant broken: \(message())")
        abort()
    }
}

/// One line on standard error (without `stderr`, which Swift 6 treats as shared mutable state).
func fuzzLog(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The process entry point. SwiftPM links executables with `main` aliased to `<module>_main`, which would hide
/// libFuzzer's own `main`, so this one hands over to libFuzzer's driver. (If a linker setup keeps libFuzzer's
/// `main` instead, this function is simply unused.)
@_cdecl("hopline_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { start, count in fuzzTestOneInput(start, count) }
}
