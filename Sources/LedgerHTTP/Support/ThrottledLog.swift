import Logging
import Synchronization

/// Logs a recurring condition (Redis down) at most once per interval, so an outage costs one
/// line every few seconds rather than one per request.
final class ThrottledLog: Sendable {
    let interval: Duration
    private let lastLogged = Mutex<ContinuousClock.Instant?>(nil)

    init(interval: Duration) {
        self.interval = interval
    }

    /// Whether the caller should log now; true at most once per `interval`.
    func shouldLog(now: ContinuousClock.Instant = .now) -> Bool {
        lastLogged.withLock { last in
            if let last, now - last < interval { return false }
            last = now
            return true
        }
    }

    func warning(_ logger: Logger, _ message: @autoclosure () -> Logger.Message, metadata: Logger.Metadata = [:]) {
        guard shouldLog() else { return }
        logger.warning(message(), metadata: metadata)
    }
}
