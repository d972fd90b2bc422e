/// The WAV format tags (`wFormatTag`) and WAVE_FORMAT_EXTENSIBLE subformat GUIDs, with the names error
/// messages show. Shared by `WAVReader` (to decide) and `AudioFileError` (to explain).
enum WAVFormatTag {
    static let pcm: UInt16 = 0x0001
    static let ieeeFloat: UInt16 = 0x0003
    static let extensible: UInt16 = 0xFFFE

    /// Bytes 2..<16 of every standard subformat GUID as stored in a file. `KSDATAFORMAT_SUBTYPE_X` is
    /// `{0000TTTT-0000-0010-8000-00AA00389B71}` where TTTT is the plain format tag; its first field is
    /// little-endian, so the file holds `TT TT 00 00 | 00 00 | 10 00 | 80 00 00 AA 00 38 9B 71`.
    static let standardGUIDTail: [UInt8] = [
        0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
    ]

    /// The format tag a standard subformat GUID stands for, or nil for any other GUID.
    static func tag(ofSubformat guid: ArraySlice<UInt8>) -> UInt16? {
        guard guid.count == 16, guid.dropFirst(2).elementsEqual(standardGUIDTail) else { return nil }
        return UInt16(guid[guid.startIndex]) | UInt16(guid[guid.startIndex + 1]) << 8
    }

    /// A 16-byte GUID as stored in a file, written the usual way: `00000003-0000-0010-8000-00AA00389B71`.
    static func guidString(_ guid: ArraySlice<UInt8>) -> String {
        precondition(guid.count == 16, "a GUID has 16 bytes")
        let b = Array(guid)
        func field(_ bytes: [UInt8]) -> String {
            bytes.map { hexDigits(UInt64($0), width: 2) }.joined()
        }
        // The first three fields are little-endian integers; the last 8 bytes are in stored order.
        return [
            field([b[3], b[2], b[1], b[0]]), field([b[5], b[4]]), field([b[7], b[6]]),
            field(Array(b[8..<10])), field(Array(b[10..<16])),
        ].joined(separator: "-")
    }

    /// The encoding's usual name for a GUID written by `guidString`, or `unknown` for a non-standard GUID.
    static func name(ofSubformat guid: String) -> String {
        let parts = guid.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 5, parts.dropFirst().joined(separator: "-") == "0000-0010-8000-00AA00389B71",
            let tag = UInt32(parts[0], radix: 16), tag <= UInt32(UInt16.max)
        else { return "unknown" }
        return name(of: UInt16(tag))
    }

    /// The usual name of a format tag, or `unknown`.
    static func name(of tag: UInt16) -> String {
        switch tag {
        case 0x0001: "PCM"
        case 0x0002: "ADPCM"
        case 0x0003: "IEEE float"
        case 0x0006: "A-law"
        case 0x0007: "mu-law"
        case 0x0011: "IMA ADPCM"
        case 0x0031: "GSM 6.10"
        case 0x0050: "MPEG"
        case 0x0055: "MP3"
        case 0x00FF: "AAC"
        case 0xF1AC: "FLAC"
        case 0xFFFE: "WAVE_FORMAT_EXTENSIBLE"
        default: "unknown"
        }
    }

    /// `0x0002`.
    static func hex(_ tag: UInt16) -> String {
        "0x" + hexDigits(UInt64(tag), width: 4)
    }

    /// Upper-case hex digits, zero-padded to `width`.
    static func hexDigits(_ value: UInt64, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
