internal import COpus

/// A libopus call that failed: which function, and libopus's own error text.
public struct OpusError: Error, Equatable, CustomStringConvertible {
    public var function: String
    public var code: Int32

    public init(function: String, code: Int32) {
        self.function = function
        self.code = code
    }

    public var description: String {
        "\(function) failed: \(String(cString: opus_strerror(code))) (\(code))"
    }

    /// Turns a libopus return code into a thrown error when it is negative; passes counts through.
    @discardableResult
    static func check(_ code: Int32, _ function: String) throws(OpusError) -> Int32 {
        if code < 0 { throw OpusError(function: function, code: code) }
        return code
    }
}
