/// The isolation of a transaction run by `PostgresPool.withTransaction`.
public enum IsolationLevel: Sendable, Hashable {
    /// For writes: conflicts surface as 40001 and the transaction is retried.
    case serializable
    /// For long consistent reads (statements, audits): waits for a safe snapshot, then never fails
    /// with a serialization error and takes no predicate locks.
    case repeatableReadReadOnlyDeferrable
    case readCommitted

    var beginStatement: String {
        switch self {
        case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        case .repeatableReadReadOnlyDeferrable: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY DEFERRABLE"
        case .readCommitted: "BEGIN ISOLATION LEVEL READ COMMITTED"
        }
    }

    /// A bounded metric dimension value.
    var metricName: String {
        switch self {
        case .serializable: "serializable"
        case .repeatableReadReadOnlyDeferrable: "repeatable_read_read_only"
        case .readCommitted: "read_committed"
        }
    }
}
