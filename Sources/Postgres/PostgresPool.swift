public import Logging
import NIOPosix
import Synchronization

/// A bounded pool of `PostgresConnection`s with its own threads for the blocking libpq calls.
///
/// - At most `connectionsMax` connections, opened lazily, each used by one caller at a time.
/// - Callers beyond that wait in FIFO order for at most `acquireTimeout` (then `.timeout`); more
///   than `waitersMax` waiting callers are refused at once (`.poolExhausted`).
/// - Callers' closures run on the pool's `NIOThreadPool`, which has exactly `connectionsMax`
///   threads, never on Swift's cooperative threads.
/// - A connection found broken (lost, killed, unrecoverable) is closed and replaced on the next
///   lease; an idle connection is checked without blocking before it is handed out, so a
///   Postgres restart costs no failed request.
public final class PostgresPool: Sendable {
    public let configuration: PostgresConfiguration
    let logger: Logger
    let threadPool: NIOThreadPool
    let metrics = PostgresMetrics()
    let state: Mutex<PoolState>

    /// Starts the pool's threads; opens no connection until the first lease.
    public init(configuration: PostgresConfiguration, logger: Logger) {
        precondition(configuration.connectionsMax >= 1, "connectionsMax must be at least 1")
        precondition(configuration.waitersMax >= 0, "waitersMax must not be negative")
        self.configuration = configuration
        self.logger = logger
        self.threadPool = NIOThreadPool(numberOfThreads: configuration.connectionsMax)
        self.threadPool.start()
        self.state = Mutex(PoolState())
    }

    deinit {
        // A pool dropped without close() still stops its threads; its idle connections are
        // finished when the state is released.
        let wasClosed = self.state.withLock { $0.isClosed }
        if !wasClosed {
            self.threadPool.shutdownGracefully { _ in }
        }
    }

    /// Leases a connection, runs `body` with it on one of the pool's threads, and gives it back.
    /// Errors thrown by `body` are rethrown unchanged.
    public func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> Value
    ) async throws -> Value {
        let slot = try await self.lease()
        defer { self.release(slot) }
        let outcome: Result<Value, any Error>
        do {
            outcome = try await self.threadPool.runIfActive {
                Result { () throws -> Value in
                    let connection = try self.prepare(slot)
                    defer { connection.resetForReuse() }
                    return try body(connection)
                }
            }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw PostgresError(kind: .poolClosed, message: "the pool is closed", step: "acquire")
        } catch is CancellationError where self.state.withLock({ $0.isClosed }) {
            throw PostgresError(kind: .poolClosed, message: "the pool is closed", step: "acquire")
        }
        return try outcome.get()
    }

    /// Runs `SELECT 1` on a pooled connection; for readiness probes.
    public func ping() async throws {
        let value = try await self.withConnection { connection in
            try connection.query("SELECT 1", step: "ping").first?.int(0)
        }
        guard value == 1 else {
            throw PostgresError(kind: .server, message: "SELECT 1 did not return 1", step: "ping")
        }
    }

    /// Closes idle connections, fails waiting callers with `.poolClosed` and stops the threads
    /// once running calls have finished. Connections in use are closed when they come back.
    public func close() async {
        let (idle, waiters) = self.state.withLock { state in state.close() }
        guard let idle, let waiters else { return }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(
                throwing: PostgresError(kind: .poolClosed, message: "the pool is closed", step: "acquire"))
        }
        for slot in idle {
            self.discardConnection(of: slot, reason: "pool closed")
        }
        do {
            try await self.threadPool.shutdownGracefully()
        } catch {
            self.logger.warning("database thread pool did not shut down cleanly", metadata: ["db.error": "\(error)"])
        }
        self.logger.debug("database pool closed")
    }

    /// The number of connections open or being opened, and of callers waiting; for tests and gauges.
    public var statistics: (connections: Int, idle: Int, waiters: Int) {
        self.state.withLock { ($0.slotCount, $0.idle.count, $0.waiters.count) }
    }

    /// Runs on the pool's thread before the caller's closure: replaces a connection that died
    /// while idle, or opens one for a fresh slot.
    private func prepare(_ slot: ConnectionSlot) throws(PostgresError) -> PostgresConnection {
        if let connection = slot.connection {
            if connection.isAliveWhenIdle() {
                return connection
            }
            self.discardConnection(of: slot, reason: "found broken before use")
        }
        let connection = try PostgresConnection(url: self.configuration.url, configuration: self.configuration, logger: self.logger)
        slot.connection = connection
        self.metrics.recordConnectionOpened()
        return connection
    }

    func discardConnection(of slot: ConnectionSlot, reason: String) {
        guard slot.connection != nil else { return }
        slot.connection = nil
        self.metrics.recordConnectionClosed()
        self.logger.debug("database connection closed", metadata: ["db.reason": "\(reason)"])
    }
}

/// A place for one connection in the pool. The pool hands a slot to one caller at a time; the
/// connection inside may be missing (not yet opened, or closed after it broke), and the caller's
/// thread opens it. That exclusive hand-over is what makes the unchecked `Sendable` sound.
final class ConnectionSlot: @unchecked Sendable {
    var connection: PostgresConnection?
}
