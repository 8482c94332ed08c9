public import LedgerCore

/// A response as it is stored for an idempotency key and replayed byte for byte.
public struct StoredResponse: Sendable, Hashable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// The idempotency key of a request, and how to render its response inside the transaction
/// that commits its writes, so that the stored response and the ledger can never disagree.
public struct IdempotencyIntent: Sendable {
    /// Whose key it is: the API key's id.
    public var scope: String
    public var key: String
    /// SHA-256 of method, path and canonical body.
    public var fingerprint: [UInt8]
    /// Renders the response from the command results. Called inside the transaction, possibly
    /// more than once when the transaction is retried, so it must be a pure function.
    public var render: @Sendable ([Result<LedgerEffect, LedgerError>]) -> StoredResponse

    public init(
        scope: String, key: String, fingerprint: [UInt8],
        render: @escaping @Sendable ([Result<LedgerEffect, LedgerError>]) -> StoredResponse
    ) {
        self.scope = scope
        self.key = key
        self.fingerprint = fingerprint
        self.render = render
    }
}

/// One client request's writes. The committer may commit it together with other requests,
/// but its commands are applied in order and, when `atomic`, all or none.
public struct WriteRequest: Sendable {
    public var commands: [LedgerCommand]
    public var atomic: Bool
    public var idempotency: IdempotencyIntent?

    public init(commands: [LedgerCommand], atomic: Bool = false, idempotency: IdempotencyIntent? = nil) {
        self.commands = commands
        self.atomic = atomic
        self.idempotency = idempotency
    }
}

/// What became of a write request.
public enum WriteReply: Sendable {
    /// The commands ran and committed (each with its own result); `response` is what was stored
    /// for the idempotency key, if there was one.
    case completed([Result<LedgerEffect, LedgerError>], response: StoredResponse?)
    /// The idempotency key had completed before with the same fingerprint: nothing ran.
    case replayed(StoredResponse)
    /// The idempotency key had been used for another request: nothing ran.
    case keyReused
}
