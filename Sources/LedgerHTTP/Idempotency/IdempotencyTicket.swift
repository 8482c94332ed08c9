import LedgerCore
import LedgerStore
import Synchronization

/// An idempotent request in flight: its key, scope and fingerprint, and a slot where the write
/// handler reports what the committer made of it, so the middleware knows what to cache.
///
/// A class because the request context is copied down the middleware chain: the handler's
/// copy and the middleware's copy must share the slot.
final class IdempotencyTicket: Sendable {
    enum Outcome: Sendable {
        /// The committer stored this response with the key (`replayed`: it had been stored
        /// before, and nothing ran now).
        case stored(StoredResponse, replayed: Bool)
        /// Postgres holds the key for another fingerprint.
        case keyReused
    }

    let scope: String
    let key: String
    let fingerprint: [UInt8]
    private let outcomeSlot = Mutex<Outcome?>(nil)

    init(scope: String, key: String, fingerprint: [UInt8]) {
        precondition(fingerprint.count == SHA256.digestBytesCount, "a fingerprint is a SHA-256 digest")
        self.scope = scope
        self.key = key
        self.fingerprint = fingerprint
    }

    var outcome: Outcome? {
        get { outcomeSlot.withLock { $0 } }
        set { outcomeSlot.withLock { $0 = newValue } }
    }

    /// The intent the committer stores the response under, rendering with `render`.
    func intent(render: @escaping @Sendable ([Result<LedgerEffect, LedgerError>]) -> StoredResponse) -> IdempotencyIntent {
        IdempotencyIntent(scope: scope, key: key, fingerprint: fingerprint, render: render)
    }
}
