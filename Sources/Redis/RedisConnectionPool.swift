import Logging
import Synchronization

/// Leases connections to callers, bounded by `connectionsMax`, and keeps the circuit that makes
/// a down server answer fast.
///
/// The pool never blocks: it only decides. Opening connections and running commands happen on
/// the client's thread pool. The circuit: after a failed connect, `acquire` fails at once with
/// `.unavailable` until `reconnectBackoff` has passed; then exactly one caller is let through to
/// probe with a new connect, and its success closes the circuit again.
final class RedisConnectionPool: Sendable {
    /// What a caller got from `acquire`.
    enum Lease: Sendable {
        /// A healthy connection, leased until `release`.
        case connection(RedisConnection)
        /// A slot: the caller must open a connection itself and then report
        /// `connectSucceeded`, `connectFailed` or `connectAbandoned`.
        case connect
    }

    typealias Outcome = Result<Lease, RedisError>

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var idle: [RedisConnection] = []
        /// Connections idle, leased or being opened; never above `connectionsMax`.
        var openCount = 0
        /// Callers waiting for a connection, oldest first; never more than `waitersMax`.
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        /// When the last connect failed; nil while the circuit is closed.
        var connectFailedAt: ContinuousClock.Instant?
        /// Whether one caller is probing the server while the circuit is open.
        var probing = false
        /// When a connect failure was last logged, so a down server logs once per backoff.
        var failureLoggedAt: ContinuousClock.Instant?
        var closed = false
    }

    private enum Decision {
        case done(Outcome)
        case wait
    }

    private let configuration: RedisConfiguration
    private let logger: Logger
    private let state = Mutex(State())

    init(configuration: RedisConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Leases a connection or a slot to open one. Waits at most `commandTimeout` when every
    /// connection is leased.
    func acquire() async -> Outcome {
        let decision = state.withLock { state in
            decide(&state, now: .now, waiter: nil)
        }
        if case .done(let outcome) = decision {
            return outcome
        }
        var timer: Task<Void, Never>?
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            // The state may have changed since the first look, so decide again under the lock
            // that also registers the waiter.
            let retry = state.withLock { state -> (Decision, UInt64) in
                let id = state.nextWaiterID
                state.nextWaiterID &+= 1
                return (decide(&state, now: .now, waiter: Waiter(id: id, continuation: continuation)), id)
            }
            switch retry {
            case (.done(let outcome), _):
                continuation.resume(returning: outcome)
            case (.wait, let id):
                let timeout = configuration.commandTimeout
                timer = Task {
                    do {
                        try await Task.sleep(for: timeout)
                    } catch {
                        return
                    }
                    self.expireWaiter(id)
                }
            }
        }
        timer?.cancel()
        return outcome
    }

    /// Takes a connection back. A broken one is freed, and its slot goes to the oldest waiter
    /// (who then opens a new connection).
    func release(_ connection: RedisConnection) {
        var resume: (Waiter, Outcome)?
        // Freed after the lock is dropped: redisFree closes a socket.
        var discarded: [RedisConnection] = []
        state.withLock { state in
            guard !connection.isBroken, !state.closed else {
                state.openCount -= 1
                discarded.append(connection)
                if connection.failure == .io {
                    // The server closed or reset this connection, so the idle ones most likely
                    // point at the same dead server: free them rather than fail one call each.
                    state.openCount -= state.idle.count
                    discarded.append(contentsOf: state.idle)
                    state.idle.removeAll()
                }
                resume = grantSlot(&state, now: .now)
                return
            }
            if !state.waiters.isEmpty {
                resume = (state.waiters.removeFirst(), .success(.connection(connection)))
            } else {
                state.idle.append(connection)
            }
        }
        if let (waiter, outcome) = resume {
            waiter.continuation.resume(returning: outcome)
        }
        discarded.removeAll()
    }

    /// A caller's new connection works: the circuit closes.
    func connectSucceeded() {
        let wasOpen = state.withLock { state in
            let wasOpen = state.connectFailedAt != nil
            state.connectFailedAt = nil
            state.probing = false
            state.failureLoggedAt = nil
            return wasOpen
        }
        if wasOpen {
            logger.info("redis connection restored", metadata: metadata)
        }
    }

    /// A caller's connect failed: the circuit opens, and every waiter fails at once rather than
    /// waiting for a server that is not there.
    func connectFailed(_ error: RedisError) {
        let now = ContinuousClock.now
        let (waiters, shouldLog) = state.withLock { state in
            state.openCount -= 1
            state.connectFailedAt = now
            state.probing = false
            let waiters = state.waiters
            state.waiters.removeAll()
            var shouldLog = true
            if let loggedAt = state.failureLoggedAt, now < loggedAt.advanced(by: configuration.reconnectBackoff) {
                shouldLog = false
            }
            if shouldLog {
                state.failureLoggedAt = now
            }
            return (waiters, shouldLog)
        }
        for waiter in waiters {
            waiter.continuation.resume(returning: .failure(unavailable))
        }
        if shouldLog {
            var metadata = metadata
            metadata["redis.error"] = "\(error.message)"
            logger.error("redis connect failed", metadata: metadata)
        }
    }

    /// A caller gave its slot back without trying to connect (the client was closing).
    func connectAbandoned() {
        state.withLock { state in
            state.openCount -= 1
            state.probing = false
        }
    }

    /// Refuses every later `acquire`, fails the waiters and frees the idle connections.
    /// Leased connections are freed when they come back.
    func close() {
        let (waiters, idle) = state.withLock { state in
            state.closed = true
            let waiters = state.waiters
            let idle = state.idle
            state.waiters.removeAll()
            state.idle.removeAll()
            state.openCount -= idle.count
            return (waiters, idle)
        }
        for waiter in waiters {
            waiter.continuation.resume(returning: .failure(closedError))
        }
        _ = idle
    }

    private func expireWaiter(_ id: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        let timeout = configuration.commandTimeout
        waiter?.continuation.resume(
            returning: .failure(RedisError(kind: .poolExhausted, message: "no connection became free within \(timeout)"))
        )
    }

    /// Decides what a caller gets. With `waiter` set, the caller is registered when it has to
    /// wait; without, `.wait` only says so.
    private func decide(_ state: inout State, now: ContinuousClock.Instant, waiter: Waiter?) -> Decision {
        if state.closed {
            return .done(.failure(closedError))
        }
        if let connection = state.idle.popLast() {
            return .done(.success(.connection(connection)))
        }
        if state.openCount < configuration.connectionsMax {
            if state.connectFailedAt != nil {
                guard mayProbe(state, now: now) else {
                    return .done(.failure(unavailable))
                }
                state.probing = true
            }
            state.openCount += 1
            return .done(.success(.connect))
        }
        guard state.waiters.count < configuration.waitersMax else {
            return .done(.failure(RedisError(kind: .poolExhausted, message: "\(state.waiters.count) callers already wait")))
        }
        if let waiter {
            state.waiters.append(waiter)
        }
        return .wait
    }

    /// Hands a freed slot to the oldest waiter: it may open a connection, or, while the circuit
    /// is open and no probe is due, it fails at once.
    private func grantSlot(_ state: inout State, now: ContinuousClock.Instant) -> (Waiter, Outcome)? {
        guard !state.closed, !state.waiters.isEmpty else { return nil }
        let waiter = state.waiters.removeFirst()
        if state.connectFailedAt != nil {
            guard mayProbe(state, now: now) else {
                return (waiter, .failure(unavailable))
            }
            state.probing = true
        }
        state.openCount += 1
        return (waiter, .success(.connect))
    }

    private func mayProbe(_ state: State, now: ContinuousClock.Instant) -> Bool {
        guard let failedAt = state.connectFailedAt else { return true }
        return !state.probing && now >= failedAt.advanced(by: configuration.reconnectBackoff)
    }

    private var unavailable: RedisError {
        RedisError(
            kind: .unavailable,
            message: "\(configuration.host):\(configuration.port) is unreachable; the next connect is tried after \(configuration.reconnectBackoff)"
        )
    }

    private var closedError: RedisError {
        RedisError(kind: .closed, message: "the client is closed")
    }

    private var metadata: Logger.Metadata {
        ["redis.host": "\(configuration.host)", "redis.port": "\(configuration.port)"]
    }
}
