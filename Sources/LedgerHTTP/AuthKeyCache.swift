public import LedgerStore
import Synchronization

/// API keys by the digest of their secret, each answer kept for at most `timeToLive`.
///
/// Every request needs its key, and asking Postgres each time would put a query in front of
/// every call. Keeping answers for a second bounds that to one query per key per second per
/// process, while a revocation still takes effect everywhere within `timeToLive`. Unknown
/// digests are kept too (a secret that does not exist now cannot come to exist: new keys get
/// new secrets), so a client retrying a bad key does not reach the database each time.
///
/// The cache holds at most `entriesMax` answers. When it is full it first drops expired
/// answers; if every answer is still fresh (more distinct secrets within one `timeToLive` than
/// it holds, which only a flood of made-up tokens causes) it starts over empty, which costs
/// queries but never memory.
public final class AuthKeyCache: Sendable {
    public let timeToLive: Duration
    public let entriesMax: Int

    private let lookup: @Sendable ([UInt8]) async throws -> APIKey?
    private let state = Mutex(State())

    private struct Entry: Sendable {
        var key: APIKey?
        var expiresAt: ContinuousClock.Instant
    }

    private struct State: Sendable {
        var byDigest: [[UInt8]: Entry] = [:]
        /// The key most recently found under each id, for the rate limiter's per-key limits.
        var byID: [String: APIKey] = [:]
    }

    /// A cache in front of the `api_keys` table.
    public convenience init(store: APIKeyStore, timeToLive: Duration = .seconds(1), entriesMax: Int = 10_000) {
        self.init(timeToLive: timeToLive, entriesMax: entriesMax) { digest in
            try await store.key(digest: digest)
        }
    }

    /// A cache in front of any lookup by digest.
    public init(
        timeToLive: Duration = .seconds(1), entriesMax: Int = 10_000,
        lookup: @escaping @Sendable ([UInt8]) async throws -> APIKey?
    ) {
        precondition(timeToLive >= .zero && timeToLive <= .seconds(1), "keys may be cached for at most a second, so revocation is prompt")
        precondition(entriesMax >= 1, "entriesMax must be at least 1")
        self.timeToLive = timeToLive
        self.entriesMax = entriesMax
        self.lookup = lookup
    }

    /// The key with this secret, revoked or not, or nil if there is none. A lookup failure
    /// (Postgres down) is thrown and not cached.
    public func key(for secret: APIKeySecret) async throws -> APIKey? {
        let digest = secret.digest
        let now = ContinuousClock.now
        if let entry = state.withLock({ $0.byDigest[digest] }), entry.expiresAt > now {
            return entry.key
        }
        let key = try await lookup(digest)
        let expiresAt = ContinuousClock.now.advanced(by: timeToLive)
        state.withLock { state in
            if state.byDigest[digest] == nil, state.byDigest.count >= entriesMax {
                Self.makeRoom(in: &state, entriesMax: entriesMax, now: ContinuousClock.now)
            }
            state.byDigest[digest] = Entry(key: key, expiresAt: expiresAt)
            if let key { state.byID[key.id] = key }
        }
        return key
    }

    /// The key last found under this id, if the cache still holds it: the key that a request
    /// just authenticated with, read by the rate limiter for the key's own limits.
    public func cachedKey(id: String) -> APIKey? {
        state.withLock { $0.byID[id] }
    }

    /// How many answers the cache holds now.
    public var count: Int {
        state.withLock { $0.byDigest.count }
    }

    private static func makeRoom(in state: inout State, entriesMax: Int, now: ContinuousClock.Instant) {
        state.byDigest = state.byDigest.filter { $0.value.expiresAt > now }
        if state.byDigest.count >= entriesMax {
            state.byDigest.removeAll(keepingCapacity: true)
        }
        let liveIDs = Set(state.byDigest.values.compactMap { $0.key?.id })
        state.byID = state.byID.filter { liveIDs.contains($0.key) }
    }
}
