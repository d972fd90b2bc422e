import HoplineAudio
import XCTest

final class AudioDeviceSelectorTests: XCTestCase {
    private let devices = [
        device(0, "HDA Intel PCH: ALC3246 Analog (hw:0,0)", inputs: 2, outputs: 2),
        device(1, "HDA Intel PCH: HDMI 0 (hw:0,3)", inputs: 0, outputs: 8),
        device(2, "USB Headset: Audio (hw:1,0)", inputs: 1, outputs: 2),
        device(3, "pulse", inputs: 32, outputs: 32),
        device(4, "default", inputs: 32, outputs: 32, isDefault: true),
    ]

    func testArgumentsParseAsDefaultIndexOrName() {
        XCTAssertEqual(AudioDeviceSelector(argument: ""), .systemDefault)
        XCTAssertEqual(AudioDeviceSelector(argument: "  "), .systemDefault)
        XCTAssertEqual(AudioDeviceSelector(argument: "3"), .index(3))
        XCTAssertEqual(AudioDeviceSelector(argument: " 12 "), .index(12))
        XCTAssertEqual(AudioDeviceSelector(argument: "-1"), .name("-1"))
        XCTAssertEqual(AudioDeviceSelector(argument: "USB"), .name("USB"))
        XCTAssertEqual(AudioDeviceSelector(argument: "hw:1,0"), .name("hw:1,0"))
        XCTAssertEqual(AudioDeviceSelector(argument: "default"), .name("default"))
    }

    func testTheDefaultIsPortAudiosDefaultForTheDirection() throws {
        XCTAssertEqual(try AudioDeviceSelector.systemDefault.resolve(.input, among: devices).index, 4)
        XCTAssertEqual(try AudioDeviceSelector.systemDefault.resolve(.output, among: devices).index, 4)
        let noDefault = devices.filter { !$0.isDefaultInput }
        XCTAssertThrowsError(try AudioDeviceSelector.systemDefault.resolve(.input, among: noDefault)) {
            XCTAssertEqual(
                "\($0)",
                "no default input device; available: 0: HDA Intel PCH: ALC3246 Analog (hw:0,0), "
                    + "2: USB Headset: Audio (hw:1,0), 3: pulse")
        }
    }

    func testAnIndexMustNameADeviceOfTheDirection() throws {
        XCTAssertEqual(try AudioDeviceSelector.index(1).resolve(.output, among: devices).index, 1)
        XCTAssertThrowsError(try AudioDeviceSelector.index(1).resolve(.input, among: devices)) {
            XCTAssertEqual(
                $0 as? AudioDeviceError,
                .noMatchingDevice(
                    direction: .input, selector: .index(1),
                    available: [
                        "0: HDA Intel PCH: ALC3246 Analog (hw:0,0)", "2: USB Headset: Audio (hw:1,0)", "3: pulse",
                        "4: default",
                    ]))
        }
        XCTAssertThrowsError(try AudioDeviceSelector.index(9).resolve(.output, among: devices)) {
            XCTAssertTrue("\($0)".hasPrefix("no output device with index 9; available: 0: HDA"), "\($0)")
        }
    }

    func testANameMatchesExactlyFirstThenAUniqueSubstringIgnoringCase() throws {
        XCTAssertEqual(try AudioDeviceSelector.name("usb").resolve(.input, among: devices).index, 2)
        XCTAssertEqual(try AudioDeviceSelector.name("HDMI").resolve(.output, among: devices).index, 1)
        XCTAssertEqual(try AudioDeviceSelector.name("Default").resolve(.output, among: devices).index, 4)
        // "pulse" is contained in no other name, but exact matching must win anyway when it is.
        XCTAssertEqual(try AudioDeviceSelector.name("PULSE").resolve(.input, among: devices).index, 3)
    }

    func testAnAmbiguousNameIsRefusedWithItsMatches() {
        XCTAssertThrowsError(try AudioDeviceSelector.name("hw:").resolve(.output, among: devices)) {
            XCTAssertEqual(
                "\($0)",
                "output device name 'hw:' is ambiguous: it matches 0: HDA Intel PCH: ALC3246 Analog (hw:0,0), "
                    + "1: HDA Intel PCH: HDMI 0 (hw:0,3), 2: USB Headset: Audio (hw:1,0) "
                    + "(expected the full name or an index)")
        }
        // Only devices of the direction count: for input, "HDA" matches just the analog device.
        XCTAssertEqual(try AudioDeviceSelector.name("HDA").resolve(.input, among: devices).index, 0)
    }

    func testAnAbsentNameListsTheDevicesThereAre() {
        XCTAssertThrowsError(try AudioDeviceSelector.name("foo").resolve(.input, among: [devices[4]])) {
            XCTAssertEqual("\($0)", "no input device matching 'foo'; available: 4: default")
        }
        XCTAssertThrowsError(try AudioDeviceSelector.name("foo").resolve(.input, among: [devices[1]])) {
            XCTAssertEqual("\($0)", "no input device matching 'foo'; available: (none)")
        }
    }

    func testNoDevicesAtAllIsSaidSo() {
        for selector in [AudioDeviceSelector.systemDefault, .index(0), .name("default")] {
            XCTAssertThrowsError(try selector.resolve(.output, among: [])) {
                XCTAssertEqual($0 as? AudioDeviceError, .noDevices)
                XCTAssertEqual(
                    "\($0)",
                    "no audio devices found: PortAudio sees no sound card or sound server "
                        + "(ALSA, JACK or PulseAudio via the ALSA pulse plugin)")
            }
        }
    }
}

private func device(
    _ index: Int, _ name: String, inputs: Int, outputs: Int, isDefault: Bool = false
) -> AudioDeviceInfo {
    AudioDeviceInfo(
        index: index, name: name, hostAPI: "ALSA", maxInputChannels: inputs, maxOutputChannels: outputs,
        defaultSampleRate: 48_000, isDefaultInput: isDefault, isDefaultOutput: isDefault)
}
