/// Settings of a connection pool and of each connection it opens. Every limit is named with its
/// unit or qualifier last.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection URI (`postgresql://user@host:port/db?sslmode=…`) or key-value string.
    public var url: String
    /// The most connections the pool holds open, and the number of threads it blocks on.
    public var connectionsMax: Int = 16
    /// How long a caller waits for a free connection before it fails with `.timeout`.
    public var acquireTimeout: Duration = .seconds(5)
    /// Callers queued for a connection beyond this fail with `.poolExhausted` at once.
    public var waitersMax: Int = 4096
    /// How long opening one connection may take (libpq's `connect_timeout`, whole seconds, 2 at least).
    public var connectTimeout: Duration = .seconds(5)
    /// The server cancels a statement that runs longer (`statement_timeout`); nil means no limit.
    public var statementTimeout: Duration? = .seconds(30)
    /// The server ends a session left idle inside a transaction this long
    /// (`idle_in_transaction_session_timeout`); nil means no limit.
    public var idleInTransactionTimeout: Duration? = .seconds(60)
    /// Shown in `pg_stat_activity`; a URL's own `application_name` wins.
    public var applicationName: String = "ledger"

    public init(url: String) {
        self.url = url
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so that a small positive duration never becomes "no limit".
    var millisecondsRoundedUp: Int64 {
        let (seconds, attoseconds) = self.components
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        let milliseconds = attoseconds / attosecondsPerMillisecond
        let remainder = attoseconds % attosecondsPerMillisecond
        return seconds * 1000 + milliseconds + (remainder > 0 ? 1 : 0)
    }
}
