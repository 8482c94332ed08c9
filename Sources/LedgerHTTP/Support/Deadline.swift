import Synchronization

/// Runs `operation` and waits for it at most `timeout`; nil when it did not finish in time.
///
/// The operation runs in an unstructured task because the calls it makes (a Postgres ping on a
/// blocking thread) may not notice cancellation; a structured group would wait for them anyway,
/// which is exactly what a readiness probe must not do. The late task is cancelled and left to
/// finish on its own.
func withDeadline<Value: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async -> Value) async -> Value? {
    let race = DeadlineRace<Value>()
    let work = Task { race.finish(await operation()) }
    let timer = Task {
        try? await Task.sleep(for: timeout)
        race.finish(nil)
    }
    let value = await race.wait()
    timer.cancel()
    if value == nil { work.cancel() }
    return value
}

/// The first of the operation and the timer to finish decides; the other is ignored.
private final class DeadlineRace<Value: Sendable>: Sendable {
    private enum State {
        case running(CheckedContinuation<Value?, Never>?)
        case finished(Value?)
    }

    private let state = Mutex<State>(.running(nil))

    func finish(_ value: Value?) {
        let continuation = state.withLock { state -> CheckedContinuation<Value?, Never>? in
            guard case .running(let continuation) = state else { return nil }
            state = .finished(value)
            return continuation
        }
        continuation?.resume(returning: value)
    }

    func wait() async -> Value? {
        await withCheckedContinuation { continuation in
            let finished = state.withLock { state -> Value?? in
                switch state {
                case .finished(let value):
                    return .some(value)
                case .running:
                    state = .running(continuation)
                    return .none
                }
            }
            if let finished { continuation.resume(returning: finished) }
        }
    }
}
