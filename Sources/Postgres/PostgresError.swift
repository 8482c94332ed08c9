/// An error from the database layer: a failed connect, a server error with its SQLSTATE, a lost
/// connection, a value that does not decode, or a pool that cannot hand out a connection.
///
/// `message` and `detail` come from the server. The server's detail can quote key values (for
/// example the key of a unique violation), so `description` leaves it out: logging an error never
/// prints bound values. Callers that need it read `detail` deliberately.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Hashable {
        /// Opening a connection failed (unreachable server, authentication, bad URL).
        case connect
        /// The connection died while in use; the pool replaces it on the next lease.
        case connectionLost
        /// The server rejected a statement; `sqlState` says why.
        case server
        /// A value in a result could not be decoded as the requested type.
        case decode
        /// Too many callers were already waiting for a connection.
        case poolExhausted
        /// The pool was closed.
        case poolClosed
        /// A transaction kept failing with a retryable SQLSTATE until its retry policy ran out.
        case retriesExhausted
        /// A COPY did not start or did not finish.
        case copy
        /// No connection became free within `acquireTimeout`, or a socket wait ran out of time.
        case timeout
    }

    public var kind: Kind
    /// The five-character SQLSTATE, when the server (or libpq) reported one.
    public var sqlState: String?
    /// The server's primary message, or the library's own explanation. Never holds bound values.
    public var message: String
    /// The server's detail (PG_DIAG_MESSAGE_DETAIL); may quote values, so it is not in `description`.
    public var detail: String?
    /// The violated constraint (PG_DIAG_CONSTRAINT_NAME), for mapping unique violations.
    public var constraint: String?
    /// The table the error concerns (PG_DIAG_TABLE_NAME), when the server names one.
    public var table: String?
    /// The server's hint (PG_DIAG_MESSAGE_HINT).
    public var hint: String?
    /// Which step failed: "connect", "begin", "query", "commit", "decode", "acquire", or a caller's name.
    public var step: String

    public init(
        kind: Kind,
        sqlState: String? = nil,
        message: String,
        detail: String? = nil,
        constraint: String? = nil,
        table: String? = nil,
        hint: String? = nil,
        step: String
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
        self.table = table
        self.hint = hint
        self.step = step
    }

    /// True for a server error that a fresh attempt of the whole transaction can cure:
    /// a serialization failure (40001) or a detected deadlock (40P01).
    public var isRetryable: Bool {
        self.kind == .server
            && (self.sqlState == SQLState.serializationFailure || self.sqlState == SQLState.deadlockDetected)
    }

    public var description: String {
        var text = "postgres \(self.kind) error in step \(self.step)"
        if let sqlState = self.sqlState {
            text += " [\(sqlState)]"
        }
        text += ": \(self.message)"
        if let constraint = self.constraint {
            text += " (constraint \(constraint))"
        }
        return text
    }
}

extension PostgresError {
    static func decode(_ message: String, column: Int) -> PostgresError {
        PostgresError(kind: .decode, message: "column \(column): \(message)", step: "decode")
    }
}
