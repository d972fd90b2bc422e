import HoplineCore
import XCTest

/// The impairment grammar: every key, presets with overrides, the canonical text, and every error.
final class ImpairmentSpecTests: XCTestCase {
    func testEveryKeyParses() throws {
        let spec = try ImpairmentSpec(
            parsing: "loss=5%,burst=0.05/0.5,delay=90ms,jitter=30ms,jitter-dist=pareto,reorder=off,dup=1%,stall=300ms/5s,skew=-500ppm,seed=7")
        XCTAssertEqual(spec.lossPercent, 5)
        XCTAssertEqual(spec.burstLoss, ImpairmentSpec.BurstLoss(p: 0.05, r: 0.5, lossInBad: 1, lossInGood: 0))
        XCTAssertEqual(spec.delayMilliseconds, 90)
        XCTAssertEqual(spec.jitterMilliseconds, 30)
        XCTAssertEqual(spec.jitterDistribution, .pareto)
        XCTAssertFalse(spec.reordering)
        XCTAssertEqual(spec.duplicatePercent, 1)
        XCTAssertEqual(spec.stall, ImpairmentSpec.Stall(durationMilliseconds: 300, periodMilliseconds: 5_000))
        XCTAssertEqual(spec.skewPartsPerMillion, -500)
        XCTAssertEqual(spec.seed, 7)
    }

    func testValueForms() throws {
        XCTAssertEqual(try ImpairmentSpec(parsing: "loss=2.5").lossPercent, 2.5)
        XCTAssertEqual(try ImpairmentSpec(parsing: "loss=100%").lossPercent, 100)
        XCTAssertEqual(try ImpairmentSpec(parsing: "delay=1.5s").delayMilliseconds, 1_500)
        XCTAssertEqual(try ImpairmentSpec(parsing: "delay=500us").delayMilliseconds, 0.5)
        XCTAssertEqual(try ImpairmentSpec(parsing: "delay=40").delayMilliseconds, 40)
        XCTAssertEqual(try ImpairmentSpec(parsing: "jitter-dist=normal").jitterDistribution, .normal)
        XCTAssertTrue(try ImpairmentSpec(parsing: "reorder=on").reordering)
        XCTAssertEqual(try ImpairmentSpec(parsing: "skew=+250").skewPartsPerMillion, 250)
        XCTAssertEqual(try ImpairmentSpec(parsing: "seed=18446744073709551615").seed, UInt64.max)
        XCTAssertEqual(try ImpairmentSpec(parsing: "stall=1s/10000").stall, ImpairmentSpec.Stall(durationMilliseconds: 1_000, periodMilliseconds: 10_000))
        XCTAssertEqual(
            try ImpairmentSpec(parsing: "burst=5%/50%/80%/1%").burstLoss,
            ImpairmentSpec.BurstLoss(p: 0.05, r: 0.5, lossInBad: 0.8, lossInGood: 0.01))
        XCTAssertEqual(try ImpairmentSpec(parsing: "burst=0.1/0.2/0.9").burstLoss?.lossInBad, 0.9)
        XCTAssertEqual(try ImpairmentSpec(parsing: " loss=1% , delay=2ms ").delayMilliseconds, 2)
    }

    func testPresetsAndOverrides() throws {
        XCTAssertEqual(try ImpairmentSpec(parsing: "clean"), .clean)
        XCTAssertEqual(try ImpairmentSpec(parsing: "loss3"), ImpairmentSpec(lossPercent: 3))
        var wifi = try XCTUnwrap(ImpairmentSpec.preset(named: "wifi")).spec
        XCTAssertEqual(try ImpairmentSpec(parsing: "wifi"), wifi)
        wifi.seed = 3
        wifi.lossPercent = 2
        XCTAssertEqual(try ImpairmentSpec(parsing: "wifi,seed=3,loss=2%"), wifi)
        let names = ImpairmentSpec.presets.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "preset names must be unique")
        for name in ["clean", "wifi", "congested", "mobile", "loss3", "loss10", "burst", "jitter30", "jitter60loss5", "stall", "skew500"] {
            XCTAssertTrue(names.contains(name), "missing preset \(name)")
        }
        XCTAssertEqual(try ImpairmentSpec(parsing: "burst").burstLoss?.lossRate ?? 0, 0.0476, accuracy: 0.0001)
        XCTAssertEqual(try ImpairmentSpec(parsing: "congested").burstLoss?.meanBadRunLength, 4)
    }

    func testCanonicalTextRoundTrips() throws {
        let text = "loss=5%,burst=0.05/0.5,delay=90ms,jitter=30ms,jitter-dist=pareto,reorder=off,dup=1%,stall=300ms/5s,skew=-500ppm,seed=7"
        XCTAssertEqual(try ImpairmentSpec(parsing: text).description, text)
        XCTAssertEqual(ImpairmentSpec.clean.description, "clean")
        XCTAssertEqual(ImpairmentSpec(seed: 9).description, "clean,seed=9")
        XCTAssertEqual(try ImpairmentSpec(parsing: "delay=0.5ms,stall=1500ms/2s").description, "delay=0.5ms,stall=1500ms/2s")
        XCTAssertEqual(try ImpairmentSpec(parsing: "burst=0.1/0.2/0.9/0.05").description, "burst=0.1/0.2/0.9/0.05")
        var specs = ImpairmentSpec.presets.map(\.spec)
        specs.append(ImpairmentSpec(burstLoss: .init(p: 0.001, r: 1, lossInBad: 0.5), duplicatePercent: 0.25, seed: 0))
        specs.append(ImpairmentSpec(delayMilliseconds: 0.001, skewPartsPerMillion: 0.5))
        for spec in specs {
            XCTAssertEqual(try ImpairmentSpec(parsing: spec.description), spec, spec.description)
        }
        XCTAssertEqual(
            ImpairmentSpec.preset(named: "mobile")?.spec.description,
            "loss=1%,burst=0.01/0.3,delay=80ms,jitter=25ms,jitter-dist=pareto,dup=0.5%,stall=300ms/8s")
    }

    func testHelpListsEveryKeyAndPresetWithItsParametersIn78Columns() {
        let help = ImpairmentSpec.grammarHelp
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.filter { $0.count > 78 }, [], "help lines over 78 characters")
        for key in ImpairmentSpec.keys { XCTAssertTrue(help.contains("  \(key)="), key) }
        // Parameters wrap after a comma onto an indented line; joined back they are the canonical text.
        let unwrapped = help.replacing(/,\n +/, with: ",")
        for preset in ImpairmentSpec.presets {
            XCTAssertTrue(unwrapped.contains("  \(preset.name)  "), preset.name)
            XCTAssertTrue(unwrapped.contains(preset.spec.description), preset.spec.description)
        }
    }

    func testErrorsNameTheProblem() {
        let cases: [(String, ImpairmentSpecError, String)] = [
            ("", .empty, "empty impairment spec"),
            (" , ", .empty, "presets: clean, wifi"),
            ("loss=5%,,delay=1ms", .emptyItem(spec: "loss=5%,,delay=1ms"), "empty item"),
            ("los=5%", .unknownKey("los", item: "los=5%"), "valid keys: loss, burst, delay, jitter, jitter-dist, reorder, dup, stall, skew, seed"),
            ("wify", .unknownPreset("wify"), "unknown impairment preset 'wify'"),
            ("loss=1%,wifi", .presetNotFirst("wifi"), "must be the first item"),
            ("loss=1%,loss=2%", .repeatedKey("loss"), "'loss' is given twice"),
            ("loss=abc", .invalidValue(key: "loss", value: "abc", expected: "a percentage from 0 to 100, e.g. loss=5%"), "'abc' for 'loss'"),
            ("loss=101%", .invalidValue(key: "loss", value: "101%", expected: "a percentage from 0 to 100, e.g. loss=5%"), "0 to 100"),
            ("dup=-1%", .invalidValue(key: "dup", value: "-1%", expected: "a percentage from 0 to 100, e.g. dup=5%"), "dup=5%"),
            ("delay=-5ms", .invalidValue(key: "delay", value: "-5ms", expected: "a duration from 0 to 60000 ms, e.g. delay=30ms (units us, ms, s)"), "-5ms"),
            ("delay=2min", .invalidValue(key: "delay", value: "2min", expected: "a duration from 0 to 60000 ms, e.g. delay=30ms (units us, ms, s)"), "units us, ms, s"),
            ("jitter=11s", .invalidValue(key: "jitter", value: "11s", expected: "a duration from 0 to 10000 ms, e.g. jitter=30ms (units us, ms, s)"), "10000"),
            ("jitter-dist=cauchy", .invalidValue(key: "jitter-dist", value: "cauchy", expected: "normal or pareto"), "normal or pareto"),
            ("reorder=maybe", .invalidValue(key: "reorder", value: "maybe", expected: "on or off"), "on or off"),
            ("skew=1e6", .invalidValue(key: "skew", value: "1e6", expected: "parts per million from -100000 to 100000, e.g. skew=-500ppm"), "-100000"),
            ("seed=-1", .invalidValue(key: "seed", value: "-1", expected: "an integer from 0 to 18446744073709551615"), "integer"),
            ("delay=nan", .invalidValue(key: "delay", value: "nan", expected: "a duration from 0 to 60000 ms, e.g. delay=30ms (units us, ms, s)"), "nan"),
        ]
        for (text, expected, fragment) in cases {
            XCTAssertThrowsError(try ImpairmentSpec(parsing: text), text) { error in
                XCTAssertEqual(error as? ImpairmentSpecError, expected, text)
                XCTAssertTrue("\(error)".contains(fragment), "'\(error)' should contain '\(fragment)'")
            }
        }
    }

    func testBurstAndStallErrors() {
        let burstCases = ["burst=0.1", "burst=0.1/0", "burst=1.5/0.5", "burst=0.1/0.5/0.5/0.5/0.5", "burst=x/0.5", "burst=0.1/200%"]
        for text in burstCases {
            XCTAssertThrowsError(try ImpairmentSpec(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains("p/r[/h[/k]]"), "\(error)")
            }
        }
        let stallCases = ["stall=300ms", "stall=5s/300ms", "stall=0ms/5s", "stall=1s/1s", "stall=1s/2h", "stall=1s/3601s"]
        for text in stallCases {
            XCTAssertThrowsError(try ImpairmentSpec(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains("DURATION/PERIOD"), "\(error)")
            }
        }
    }

    func testIsClean() throws {
        XCTAssertTrue(ImpairmentSpec(seed: 5).isClean)
        XCTAssertFalse(try ImpairmentSpec(parsing: "reorder=off").isClean)
        XCTAssertFalse(try ImpairmentSpec(parsing: "skew500").isClean)
    }
}
