import Foundation
import Synchronization

/// Reads y/n answers for ringing calls from standard input on a thread of its own, so the node's loop never
/// blocks on the terminal. When standard input is closed (or not readable), every question is answered no.
public final class TerminalPrompt: Sendable {
    private let answers = Mutex<[Bool]>([])
    private let closed = Atomic<Bool>(false)

    public init() {
        let thread = Thread { [self] in
            while let line = readLine() {
                let text = line.trimmingCharacters(in: .whitespaces).lowercased()
                if text.hasPrefix("y") { answers.withLock { $0.append(true) } }
                if text.hasPrefix("n") { answers.withLock { $0.append(false) } }
            }
            closed.store(true, ordering: .relaxed)
        }
        thread.start()
    }

    /// The next answer typed, or false when input has ended, or nil while waiting.
    public func takeAnswer() -> Bool? {
        if let answer = answers.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return answer }
        return closed.load(ordering: .relaxed) ? false : nil
    }

    /// Forgets answers typed before a new question.
    public func discardPending() { answers.withLock { $0.removeAll() } }
}
