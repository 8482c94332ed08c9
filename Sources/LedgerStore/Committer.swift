public import Logging
import Metrics
public import Postgres
import LedgerCore
import Synchronization

/// The single place every ledger write goes through (ARCHITECTURE.md).
///
/// Requests queue here and a writer loop commits them in groups: one SERIALIZABLE transaction
/// locks every account a group touches once, in id order, applies the commands in arrival order
/// against running balances, writes rows with set-based statements, stores each idempotent
/// response, and commits; then each request is answered. While one group commits, the next one
/// gathers, so under load the cost of a commit is shared by many requests, and a hot account is
/// locked once per group rather than once per transfer. Because one writer owns its instance's
/// writes, groups of one instance never conflict with each other; groups of several instances
/// are serialized by Postgres and retried on serialization failures.
public final class Committer: Sendable {
    public struct Configuration: Sendable {
        /// Requests waiting to be committed; beyond this, callers get `.overloaded` at once.
        public var queueRequestsMax = 16_384
        /// Commands in one transaction. A single batch request may reach it alone.
        public var commandsPerTransactionMax = Limits.transfersPerBatchMax
        /// Requests in one transaction.
        public var requestsPerTransactionMax = 4_096
        /// Groups that create at least this many transfers store them and their entries with
        /// binary COPY, which costs the server less per row but takes four more round trips;
        /// below it the round trips cost more than the rows save.
        public var copyTransfersMin = 128
        public var retry = RetryPolicy.default

        public init() {}
    }

    private struct Pending: Sendable {
        var request: WriteRequest
        var continuation: CheckedContinuation<WriteReply, any Error>
    }

    private let pool: PostgresPool
    private let configuration: Configuration
    private let logger: Logger
    private let queue: WriteQueue<Pending>
    private let writer = Mutex<Task<Void, Never>?>(nil)

    private let batchSizes = Recorder(label: "ledger_commit_group_requests")
    private let commitTimer = Timer(label: "ledger_commit_duration_seconds")
    private let phaseTimers = GroupCommit.PhaseTimers()
    private let refused = Counter(label: "ledger_commit_refused_total", dimensions: [("reason", "overloaded")])

    public init(pool: PostgresPool, configuration: Configuration = .init(), logger: Logger) {
        precondition(configuration.copyTransfersMin >= 1, "copyTransfersMin must be at least 1")
        self.pool = pool
        self.configuration = configuration
        self.logger = logger
        self.queue = WriteQueue(capacity: configuration.queueRequestsMax)
    }

    /// Starts the writer loop. Idempotent.
    public func start() {
        writer.withLock { task in
            guard task == nil else { return }
            task = Task { [self] in await runWriter() }
        }
    }

    /// Refuses new writes, commits what is queued, and returns when the writer has stopped.
    public func shutdown() async {
        queue.close()
        let task = writer.withLock { $0 }
        await task?.value
    }

    /// Commits a request's writes and returns what became of them.
    /// - Throws: `StoreError` (`.overloaded`, `.unavailable`, `.shuttingDown`, `.internalFault`), or a
    ///   `LedgerError` when the request holds more commands than one transaction may.
    public func submit(_ request: WriteRequest) async throws -> WriteReply {
        guard request.commands.count <= configuration.commandsPerTransactionMax else {
            throw LedgerError.validation(
                "a request may hold at most \(configuration.commandsPerTransactionMax) commands", field: "transfers"
            )
        }
        return try await withCheckedThrowingContinuation { continuation in
            switch queue.enqueue(Pending(request: request, continuation: continuation)) {
            case .enqueued:
                break
            case .full:
                refused.increment()
                continuation.resume(throwing: StoreError(.overloaded, "the write queue is full"))
            case .closed:
                continuation.resume(throwing: StoreError(.shuttingDown, "the service is shutting down"))
            }
        }
    }

    // MARK: - Writer

    private func runWriter() async {
        let commandsMax = configuration.commandsPerTransactionMax
        let requestsMax = configuration.requestsPerTransactionMax
        while true {
            let group = await queue.take(countMax: requestsMax, weightMax: commandsMax) { $0.request.commands.count }
            if group.isEmpty { return }
            await commit(group)
        }
    }

    private func commit(_ group: [Pending]) async {
        batchSizes.record(group.count)
        let started = ContinuousClock.now
        do {
            let replies = try await commitOnce(group.map(\.request))
            for (pending, reply) in zip(group, replies) {
                pending.continuation.resume(returning: reply)
            }
        } catch let error as PostgresError where group.count > 1 && !error.isAvailabilityProblem {
            // One request's writes broke a database rule that the engine should have caught.
            // Commit the others alone so that a single bad request cannot fail its neighbours.
            logger.error("group commit failed; committing its requests one by one", metadata: ["db.error": "\(error)"])
            for pending in group {
                await commit([pending])
            }
            return
        } catch {
            let failure = Self.storeError(for: error)
            if failure.kind == .internalFault {
                logger.error("commit failed", metadata: ["db.error": "\(error)"])
            } else {
                logger.warning("commit failed", metadata: ["db.error": "\(error)"])
            }
            for pending in group {
                pending.continuation.resume(throwing: failure)
            }
        }
        commitTimer.recordInterval(since: started)
    }

    private func commitOnce(_ requests: [WriteRequest]) async throws -> [WriteReply] {
        let phaseTimers = self.phaseTimers
        let copyTransfersMin = configuration.copyTransfersMin
        return try await pool.withTransaction(.serializable, retry: configuration.retry, pipelined: true, logger: logger) { connection in
            try GroupCommit(requests: requests, phaseTimers: phaseTimers, copyTransfersMin: copyTransfersMin).run(on: connection)
        }
    }

    static func storeError(for error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresError {
            if error.isAvailabilityProblem {
                return StoreError(.unavailable, "the database is unavailable; nothing was written")
            }
            return StoreError(.internalFault, "the database refused the write; nothing was written")
        }
        return StoreError(.internalFault, "\(error)")
    }
}

extension PostgresError {
    /// Whether the error says the database could not be reached or could not serialize, as
    /// opposed to a statement the database refused.
    var isAvailabilityProblem: Bool {
        switch kind {
        case .connect, .connectionLost, .poolExhausted, .poolClosed, .retriesExhausted, .timeout: true
        case .server:
            sqlState == SQLState.adminShutdown || sqlState == SQLState.queryCanceled
                || sqlState?.hasPrefix("08") == true || sqlState?.hasPrefix("53") == true
                || sqlState?.hasPrefix("57") == true
        case .decode, .copy: false
        }
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        record(ContinuousClock.now - start)
    }

    func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
