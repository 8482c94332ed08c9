/// A failed Redis call. `kind` says what went wrong so callers can decide (for example, a rate
/// limiter fails open on `.connect`, `.unavailable`, `.timeout` and `.poolExhausted`).
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Opening a connection failed (refused, timed out, or the setup commands failed).
        case connect
        /// A socket read or write took longer than `commandTimeout`; the connection was discarded.
        case timeout
        /// The connection broke during a call (reset, closed by the server); it was discarded.
        case io
        /// The server's bytes could not be parsed, or a reply had an unexpected shape.
        case protocolError
        /// The server answered with an error reply.
        case server
        /// No connection became free within `commandTimeout`, or too many callers were waiting.
        case poolExhausted
        /// A recent connect failed and `reconnectBackoff` has not passed yet (the circuit is open).
        case unavailable
        /// The client was closed.
        case closed
        /// The configuration (for example the URL) is not valid.
        case configuration
    }

    public var kind: Kind
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String {
        "redis \(kind): \(message)"
    }
}
