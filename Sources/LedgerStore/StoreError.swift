/// Why the store could not do what it was asked, when the ledger's rules are not the reason.
///
/// Rule violations are `LedgerError`s inside results; these are operating conditions that
/// the HTTP layer turns into 503 (with `Retry-After`) or, for `internalFault`, 500.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The write queue is full: the service is past its capacity.
        case overloaded
        /// Postgres is unreachable or serialization retries ran out. Nothing was written.
        case unavailable
        /// The committer is draining for shutdown.
        case shuttingDown
        /// Stored data failed to decode: a bug or tampering, never a client mistake.
        case corruptData
        /// A fault inside the service.
        case internalFault
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// Seconds a client should wait before retrying, for the kinds where a retry helps.
    public var retryAfterSeconds: Int? {
        switch kind {
        case .overloaded, .unavailable, .shuttingDown: 1
        case .corruptData, .internalFault: nil
        }
    }

    public var description: String { "\(kind): \(message)" }
}
