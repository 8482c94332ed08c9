#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A status line rewritten in place, shown only when its stream is a terminal so that logs and
/// pipes get clean output.
final class ProgressLine: Sendable {
    private let descriptor: Int32
    let isEnabled: Bool
    private let shown = Mutex(false)

    init(descriptor: Int32, enabled: Bool = true) {
        self.descriptor = descriptor
        self.isEnabled = enabled && isatty(descriptor) == 1
    }

    static func standardOutput(enabled: Bool) -> ProgressLine { ProgressLine(descriptor: STDOUT_FILENO, enabled: enabled) }
    static func standardError(enabled: Bool) -> ProgressLine { ProgressLine(descriptor: STDERR_FILENO, enabled: enabled) }

    func show(_ text: String) {
        guard self.isEnabled else { return }
        self.shown.withLock { shown in
            self.emit("\r\u{1B}[2K" + text)
            shown = true
        }
    }

    /// Ends the line so that what follows starts on a fresh one.
    func finish() {
        self.shown.withLock { shown in
            if shown {
                self.emit("\n")
            }
            shown = false
        }
    }

    private func emit(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(self.descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            guard written > 0 else { return }
            offset += written
        }
    }
}
