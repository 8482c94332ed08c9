import CoreMetrics
import Metrics

/// The pool's metrics, created once per pool with bounded dimensions. Factories return the same
/// metric for the same label and dimensions, so several pools share them.
struct PostgresMetrics: Sendable {
    let serializationRetries = Counter(
        label: "ledger_db_transaction_retries_total", dimensions: [("reason", "serialization")])
    let deadlockRetries = Counter(label: "ledger_db_transaction_retries_total", dimensions: [("reason", "deadlock")])
    let retriesExhausted = Counter(label: "ledger_db_transaction_retries_exhausted_total")
    let transactionDurations: [IsolationLevel: Timer]
    let connectionsOpened = Counter(label: "ledger_db_connections_opened_total")
    let connectionsOpen = Meter(label: "ledger_db_connections_open")
    let acquireTimeouts = Counter(label: "ledger_db_acquire_failures_total", dimensions: [("reason", "timeout")])
    let acquireRejections = Counter(label: "ledger_db_acquire_failures_total", dimensions: [("reason", "exhausted")])

    init() {
        var durations: [IsolationLevel: Timer] = [:]
        for isolation in [IsolationLevel.serializable, .repeatableReadReadOnlyDeferrable, .readCommitted] {
            durations[isolation] = Timer(
                label: "ledger_db_transaction_duration_seconds",
                dimensions: [("isolation", isolation.metricName)],
                preferredDisplayUnit: .seconds
            )
        }
        self.transactionDurations = durations
    }

    func recordRetry(sqlState: String?) {
        (sqlState == SQLState.deadlockDetected ? self.deadlockRetries : self.serializationRetries).increment()
    }

    func recordRetriesExhausted() {
        self.retriesExhausted.increment()
    }

    func recordTransaction(_ isolation: IsolationLevel, duration: Duration) {
        self.transactionDurations[isolation]?.recordNanoseconds(duration.nanosecondsClamped)
    }

    func recordConnectionOpened() {
        self.connectionsOpened.increment()
        self.connectionsOpen.increment()
    }

    func recordConnectionClosed() {
        self.connectionsOpen.decrement()
    }

    func recordAcquireTimeout() {
        self.acquireTimeouts.increment()
    }

    func recordAcquireRejection() {
        self.acquireRejections.increment()
    }
}
