import Foundation

/// Reads a small UTF-8 text file (configuration, contacts) with one reason per problem, so every file
/// Hopline reads reports a missing file, a directory or bad encoding the same way.
enum TextFile {
    /// The file's text, or the reason it cannot be read ("no such file", "is a directory", ...).
    static func read(path: String) -> Result<String, TextFileProblem> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .failure(.missing) }
        guard !isDirectory.boolValue else { return .failure(.directory) }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return .failure(.notUTF8) }
        return .success(text)
    }
}

/// Why `TextFile.read` failed; `description` is the reason as the error messages put it.
enum TextFileProblem: Error, CustomStringConvertible {
    case missing, directory, notUTF8

    var description: String {
        switch self {
        case .missing: return "no such file"
        case .directory: return "is a directory"
        case .notUTF8: return "not readable as UTF-8 text"
        }
    }
}
