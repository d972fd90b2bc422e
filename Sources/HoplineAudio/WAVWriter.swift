internal import Glibc

/// Writes mono audio as a 16-bit PCM WAV file (44-byte canonical header) at the audio's own rate.
///
/// Samples are clipped to -1...1 (NaN becomes 0), scaled by 32767 and rounded to nearest.
///
/// Atomic: the bytes go to a temporary file `.NAME.tmp-PID-RANDOM` in the target's directory, which is
/// fsynced and then renamed over the target; on any failure the temporary file is removed and
/// `AudioFileError.writeFailed` names the system call. Readers see the old file or the new one, never a
/// half-written one. Consequences of the rename: a symlink at the target is replaced, not followed, and the
/// new file gets mode 0644 (less the umask) rather than the old file's mode.
///
/// Refuses what `WAVReader` would refuse: an empty `PCMAudio`, a rate outside
/// `WAVReader.supportedSampleRates`, or a file over `WAVReader.maximumFileSize`. Stateless and thread-safe;
/// with two concurrent writers to one path, the last rename wins.
public enum WAVWriter {
    /// Writes `audio` to `path`, replacing any existing file.
    public static func write(_ audio: PCMAudio, toPath path: String) throws(AudioFileError) {
        guard !audio.samples.isEmpty else { throw .noSamples(path: path) }
        guard WAVReader.supportedSampleRates.contains(audio.sampleRate) else {
            throw .sampleRateOutOfRange(path: path, sampleRate: audio.sampleRate)
        }
        let fileSize = headerSize + 2 * audio.samples.count
        guard fileSize <= WAVReader.maximumFileSize else {
            throw .fileTooLarge(path: path, size: fileSize, limit: WAVReader.maximumFileSize)
        }
        try writeAtomically(encode(audio), to: path)
    }

    private static let headerSize = 44

    /// The complete file: canonical RIFF/WAVE header, then 16-bit little-endian samples.
    static func encode(_ audio: PCMAudio) -> [UInt8] {
        let dataSize = UInt32(2 * audio.samples.count)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerSize + Int(dataSize))
        func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
        func append(_ value: UInt16) { bytes.append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8)]) }
        func append(_ value: UInt32) {
            append(UInt16(truncatingIfNeeded: value))
            append(UInt16(truncatingIfNeeded: value >> 16))
        }
        let rate = UInt32(audio.sampleRate)
        append("RIFF")
        append(36 + dataSize)
        append("WAVE")
        append("fmt ")
        append(16 as UInt32)  // fmt chunk size
        append(WAVFormatTag.pcm)
        append(1 as UInt16)  // channels
        append(rate)
        append(rate * 2)  // bytes per second
        append(2 as UInt16)  // block align
        append(16 as UInt16)  // bits per sample
        append("data")
        append(dataSize)
        for sample in audio.samples {
            let clipped = sample.isNaN ? 0 : min(max(sample, -1), 1)
            append(UInt16(bitPattern: Int16((clipped * 32767).rounded())))
        }
        return bytes
    }

    /// Writes `bytes` to a temporary file beside `path`, fsyncs it, renames it over `path`, then fsyncs
    /// the directory (best effort). Removes the temporary file on any failure.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(AudioFileError) {
        // "dir/name" -> prefix "dir/", name "name"; "name" -> prefix "", name "name".
        let nameStart = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let prefix = String(path[..<nameStart])
        let name = String(path[nameStart...])
        guard !name.isEmpty, name != ".", name != ".." else {
            throw .writeFailed(path: path, operation: "open", errno: EISDIR)
        }
        let random = WAVFormatTag.hexDigits(UInt64(UInt32.random(in: .min ... .max)), width: 8)
        let tempPath = "\(prefix).\(name).tmp-\(getpid())-\(random)"

        var fd: Int32
        repeat {
            fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw .writeFailed(path: path, operation: "open", errno: errno) }

        var isOpen = true
        do throws(AudioFileError) {
            try writeAll(bytes, to: fd, path: path)
            guard fsync(fd) == 0 else { throw .writeFailed(path: path, operation: "fsync", errno: errno) }
            isOpen = false
            guard close(fd) == 0 else { throw .writeFailed(path: path, operation: "close", errno: errno) }
            guard rename(tempPath, path) == 0 else {
                throw .writeFailed(path: path, operation: "rename", errno: errno)
            }
        } catch {
            if isOpen { close(fd) }
            unlink(tempPath)
            throw error
        }
        syncDirectory(prefix.isEmpty ? "." : prefix)
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(AudioFileError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path, operation: "write", errno: errno)
            }
            guard count > 0 else {  // no progress and no error: do not spin
                throw .writeFailed(path: path, operation: "write", errno: EIO)
            }
            written += count
        }
    }

    /// Makes the rename durable. Best effort: the file is already complete and in place if this fails.
    private static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
