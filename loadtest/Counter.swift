import Synchronization

/// A shared count that tasks bump, for progress lines.
final class Counter: Sendable {
    private let value = Mutex(0)

    /// Adds one and returns the new count.
    func increment() -> Int {
        self.value.withLock { value in
            value += 1
            return value
        }
    }
}
