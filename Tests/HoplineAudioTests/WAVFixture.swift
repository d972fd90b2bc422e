import Foundation
import XCTest

/// Builds WAV file bytes field by field, so tests can make every supported format and every malformed
/// variant without fixture files. Defaults: 16-bit PCM mono at 16 kHz with no samples.
struct WAVFixture {
    var formatTag: UInt16 = 0x0001
    var channels: UInt16 = 1
    var sampleRate: UInt32 = 16_000
    var bitsPerSample: UInt16 = 16
    /// Default: channels × bytes per sample.
    var blockAlign: UInt16?
    /// When set, the fmt chunk is WAVE_FORMAT_EXTENSIBLE (40 bytes, tag 0xFFFE) with this subformat.
    var subformatGUID: [UInt8]?
    /// Default: the real size of the fmt chunk body.
    var formatChunkSize: UInt32?
    var data: [UInt8] = []
    /// Default: `data.count`.
    var dataChunkSize: UInt32?
    /// Default: the real size of everything after the first 8 bytes.
    var riffSize: UInt32?
    /// Chunks written between the RIFF header and the fmt chunk.
    var chunksBeforeFormat: [(id: String, body: [UInt8])] = []
    /// Chunks written between the fmt chunk and the data chunk.
    var chunksBeforeData: [(id: String, body: [UInt8])] = []
    /// Write the data chunk before the fmt chunk.
    var dataFirst = false

    /// The standard subformat GUID for a plain format tag: {0000TTTT-0000-0010-8000-00AA00389B71}.
    static func guid(tag: UInt16) -> [UInt8] {
        [UInt8(tag & 0xFF), UInt8(tag >> 8), 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
         0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
    }

    func bytes() -> [UInt8] {
        var fmt: [UInt8] = []
        fmt.appendLE(subformatGUID == nil ? formatTag : 0xFFFE)
        fmt.appendLE(channels)
        fmt.appendLE(sampleRate)
        let align = blockAlign ?? channels &* (bitsPerSample / 8)
        fmt.appendLE(sampleRate &* UInt32(align))
        fmt.appendLE(align)
        fmt.appendLE(bitsPerSample)
        if let subformatGUID {
            fmt.appendLE(22 as UInt16)  // cbSize
            fmt.appendLE(bitsPerSample)  // wValidBitsPerSample
            fmt.appendLE(channels == 2 ? 3 : 4 as UInt32)  // dwChannelMask: FL|FR or FC
            fmt += subformatGUID
        }

        var body: [UInt8] = Array("WAVE".utf8)
        for chunk in chunksBeforeFormat { body.appendChunk(chunk.id, chunk.body) }
        var dataChunk: [UInt8] = Array("data".utf8)
        dataChunk.appendLE(dataChunkSize ?? UInt32(data.count))
        dataChunk += data
        if dataFirst { body += dataChunk }
        body += Array("fmt ".utf8)
        body.appendLE(formatChunkSize ?? UInt32(fmt.count))
        body += fmt
        for chunk in chunksBeforeData { body.appendChunk(chunk.id, chunk.body) }
        if !dataFirst { body += dataChunk }

        var file: [UInt8] = Array("RIFF".utf8)
        file.appendLE(riffSize ?? UInt32(body.count))
        return file + body
    }

    // MARK: Sample encoders (little-endian, interleaved as given)

    static func uint8(_ values: [UInt8]) -> [UInt8] { values }

    static func int16(_ values: [Int16]) -> [UInt8] {
        var out: [UInt8] = []
        for value in values { out.appendLE(UInt16(bitPattern: value)) }
        return out
    }

    static func int24(_ values: [Int32]) -> [UInt8] {
        var out: [UInt8] = []
        for value in values {
            let bits = UInt32(bitPattern: value)
            out += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF)]
        }
        return out
    }

    static func int32(_ values: [Int32]) -> [UInt8] {
        var out: [UInt8] = []
        for value in values { out.appendLE(UInt32(bitPattern: value)) }
        return out
    }

    static func float32(_ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        for value in values { out.appendLE(value.bitPattern) }
        return out
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE(_ value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    mutating func appendLE(_ value: UInt32) {
        appendLE(UInt16(value & 0xFFFF))
        appendLE(UInt16(value >> 16))
    }

    /// id, size, body, and the RIFF pad byte after an odd-sized body.
    mutating func appendChunk(_ id: String, _ body: [UInt8]) {
        append(contentsOf: id.utf8)
        appendLE(UInt32(body.count))
        append(contentsOf: body)
        if body.count % 2 == 1 { append(0) }
    }
}

extension XCTestCase {
    /// A fresh empty directory, removed with its contents when the test ends.
    func makeTemporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "hopline-audio-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Writes `bytes` to `name` inside `directory` and returns the path.
    func writeFile(_ bytes: [UInt8], named name: String, in directory: String) throws -> String {
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
