import Foundation
import LedgerStore
import Logging
import Redis

/// Redis's part in idempotency (PRODUCT.md §3): a cache of completed responses and the
/// in-flight lock. Postgres, inside the committer, stays the truth; every method here treats
/// a Redis failure as "Redis knows nothing" and reports it, so a slow, flushed or dead Redis
/// costs at most one command timeout per call and never changes an answer.
struct IdempotencyCache: Sendable {
    /// What Redis knew when a request arrived.
    enum Arrival: Sendable, Equatable {
        /// A completed response is cached. If the lock was taken along the way, `lockToken`
        /// must be released.
        case cached(CachedResponse, lockToken: String?)
        /// Nothing cached, and the in-flight lock is ours.
        case locked(token: String)
        /// Nothing cached, and another request holds the lock.
        case inFlight
        /// Redis did not answer; go on without it. The lock may have been taken before the
        /// failure, so `token` is released at the end like an acquired one.
        case redisError(token: String)
    }

    /// A completed response as cached: the fingerprint it answers and what to replay.
    struct CachedResponse: Sendable, Equatable {
        var fingerprint: [UInt8]
        var response: StoredResponse
    }

    let redis: RedisClient
    let retention: Duration
    let lockTTL: Duration
    let logger: Logger
    let metrics: HTTPMetrics
    private let redisErrorLog: ThrottledLog

    init(redis: RedisClient, retention: Duration, lockTTL: Duration, logger: Logger, metrics: HTTPMetrics, redisErrorLogInterval: Duration) {
        self.redis = redis
        self.retention = retention
        self.lockTTL = lockTTL
        self.logger = logger
        self.metrics = metrics
        self.redisErrorLog = ThrottledLog(interval: redisErrorLogInterval)
    }

    // MARK: - Keys

    /// `idem:{scope}:{key}`. The scope is escaped so that a `:` inside it cannot make two
    /// (scope, key) pairs share a Redis key; the key comes last and needs no escaping.
    static func responseKey(scope: String, key: String) -> String {
        "idem:\(escape(scope)):\(key)"
    }

    static func lockKey(scope: String, key: String) -> String {
        "idem-lock:\(escape(scope)):\(key)"
    }

    /// Byte by byte rather than with Foundation's `replacingOccurrences`, which showed up in
    /// profiles of the request path; scopes almost never hold either character.
    static func escape(_ scope: String) -> String {
        let utf8 = scope.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: ":") }) else { return scope }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(utf8.count + 8)
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "%"): escaped.append(contentsOf: "%25".utf8)
            case UInt8(ascii: ":"): escaped.append(contentsOf: "%3A".utf8)
            default: escaped.append(byte)
            }
        }
        return String(decoding: escaped, as: UTF8.self)
    }

    // MARK: - Operations

    /// One round trip: read the cached response and try to take the lock.
    func arrive(scope: String, key: String) async -> Arrival {
        let token = Self.randomToken()
        let replies: [RedisReply]
        do throws(RedisError) {
            replies = try await redis.pipeline([
                ["GET", Self.responseKey(scope: scope, key: key)],
                ["SET", Self.lockKey(scope: scope, key: key), token, "NX", "PX", String(Self.milliseconds(lockTTL))],
            ])
        } catch {
            redisFailed(error, during: "arrive")
            return .redisError(token: token)
        }
        guard replies.count == 2, replies[0].errorMessage == nil, replies[1].errorMessage == nil else {
            redisFailed(RedisError(kind: .server, message: "\(replies)"), during: "arrive")
            return .redisError(token: token)
        }
        let acquired = !replies[1].isNull
        if let bytes = replies[0].bytes {
            if let cached = Self.decode(bytes) {
                return .cached(cached, lockToken: acquired ? token : nil)
            }
            // A value this build cannot read is as good as none: Postgres will answer.
            logger.warning("unreadable idempotency cache entry ignored", metadata: ["ledger.idempotency.key": "\(key)"])
        }
        return acquired ? .locked(token: token) : .inFlight
    }

    /// One round trip: cache the completed response (if any) and release our lock (if any).
    func finish(scope: String, key: String, cache cached: CachedResponse?, lockToken: String?) async {
        var commands: [[[UInt8]]] = []
        if let cached {
            commands.append([
                Array("SET".utf8), Array(Self.responseKey(scope: scope, key: key).utf8), Self.encode(cached),
                Array("PX".utf8), Array(String(Self.milliseconds(retention)).utf8),
            ])
        }
        if let lockToken {
            // Deletes the lock only if it still holds our token: after a lock expired and another
            // request took it, deleting it blindly would let a third request in beside the second.
            commands.append([
                Array("EVAL".utf8), Array(Self.releaseScript.utf8), Array("1".utf8),
                Array(Self.lockKey(scope: scope, key: key).utf8), Array(lockToken.utf8),
            ])
        }
        guard !commands.isEmpty else { return }
        do throws(RedisError) {
            let replies = try await redis.pipeline(bytes: commands)
            if let failure = replies.first(where: { $0.errorMessage != nil }) {
                redisFailed(RedisError(kind: .server, message: failure.errorMessage ?? ""), during: "finish")
            }
        } catch {
            redisFailed(error, during: "finish")
        }
    }

    /// Compare-and-delete; sent with EVAL because it is tiny and runs once per write.
    static let releaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """

    private func redisFailed(_ error: RedisError, during step: String) {
        metrics.idempotency(.redisError)
        redisErrorLog.warning(
            logger, "redis unavailable for idempotency; answering from Postgres",
            metadata: ["redis.error": "\(error)", "ledger.idempotency.step": "\(step)"]
        )
    }

    // MARK: - Encoding

    /// Format version 1: `0x01`, the 32-byte fingerprint, the status as two big-endian bytes,
    /// then the body. Binary-safe, and cheap to check before trusting.
    static func encode(_ cached: CachedResponse) -> [UInt8] {
        precondition(cached.fingerprint.count == SHA256.digestBytesCount, "a fingerprint is a SHA-256 digest")
        var out: [UInt8] = [0x01]
        out.reserveCapacity(1 + SHA256.digestBytesCount + 2 + cached.response.body.count)
        out.append(contentsOf: cached.fingerprint)
        out.append(UInt8(truncatingIfNeeded: cached.response.status >> 8))
        out.append(UInt8(truncatingIfNeeded: cached.response.status))
        out.append(contentsOf: cached.response.body)
        return out
    }

    static func decode(_ bytes: [UInt8]) -> CachedResponse? {
        let headerCount = 1 + SHA256.digestBytesCount + 2
        guard bytes.count >= headerCount, bytes[0] == 0x01 else { return nil }
        let fingerprint = Array(bytes[1...SHA256.digestBytesCount])
        let status = Int(bytes[headerCount - 2]) << 8 | Int(bytes[headerCount - 1])
        guard (200..<500).contains(status) else { return nil }
        return CachedResponse(fingerprint: fingerprint, response: StoredResponse(status: status, body: Array(bytes[headerCount...])))
    }

    private static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return String(high, radix: 16) + "-" + String(low, radix: 16)
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
