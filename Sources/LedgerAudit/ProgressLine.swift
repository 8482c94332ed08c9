#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A single self-overwriting status line on standard error, shown only when standard error is a
/// terminal, and redrawn at most once per `interval` so that it costs nothing on hot loops.
public final class ProgressLine: Sendable {
    private struct State {
        var lastDrawn: ContinuousClock.Instant?
        var isVisible = false
    }

    public let isEnabled: Bool
    private let interval: Duration
    private let state = Mutex(State())

    /// - Parameter enabled: nil means whether standard error is a terminal (`isatty(2)`).
    public init(enabled: Bool? = nil, interval: Duration = .milliseconds(200)) {
        self.isEnabled = enabled ?? (isatty(2) == 1)
        self.interval = interval
    }

    /// Redraws the line, unless it was drawn less than `interval` ago and `force` is false.
    public func update(_ text: String, force: Bool = false) {
        guard isEnabled else { return }
        let now = ContinuousClock.now
        state.withLock { state in
            if !force, let last = state.lastDrawn, now - last < interval { return }
            state.lastDrawn = now
            state.isVisible = true
            // Carriage return, the text, then erase whatever a longer previous text left.
            Self.writeError("\r" + text + "\u{1B}[K")
        }
    }

    /// Erases the line, so that other output can be printed in its place.
    public func clear() {
        guard isEnabled else { return }
        state.withLock { state in
            guard state.isVisible else { return }
            state.isVisible = false
            Self.writeError("\r\u{1B}[K")
        }
    }

    /// Leaves the last text on screen and moves to the next line.
    public func finish() {
        guard isEnabled else { return }
        state.withLock { state in
            guard state.isVisible else { return }
            state.isVisible = false
            Self.writeError("\n")
        }
    }

    private static func writeError(_ text: String) {
        // A progress line that cannot be drawn is not worth failing the command for.
        try? FileDescriptorOutput.writeAll(Array(text.utf8), to: 2, name: "standard error")
    }
}
